#ifndef TS_COMMON_BASE_TS_RESULT_H
#define TS_COMMON_BASE_TS_RESULT_H

/*
 * The typed result of every fallible function, after s2n_result.  The first
 * failure site records the error code, the source location and a one-line
 * message in a thread-local slot; callers pass the result up unchanged.
 * Messages name files, lines, modules and parameters, never secret values.
 */

typedef struct {
	int code;
} ts_result;

enum ts_err {
	TS_ERR_NONE = 0,
	TS_ERR_NULL,      /* a required pointer was NULL */
	TS_ERR_NOMEM,     /* allocation failed */
	TS_ERR_IO,        /* a system call on a file failed */
	TS_ERR_PARSE,     /* malformed Hjson or JSON */
	TS_ERR_SCHEMA,    /* well-formed input with a wrong shape or value */
	TS_ERR_RANGE,     /* a number outside its allowed range */
	TS_ERR_SEED,      /* a seed breaks the seed rules */
	TS_ERR_MODE,      /* testing/tapeout separation violated */
	TS_ERR_EXISTS,    /* a different file exists and --force was not given */
	TS_ERR_SYMLINK,   /* a path component is a symbolic link */
	TS_ERR_CRYPTO,    /* libcrypto failed */
	TS_ERR_P11,       /* a PKCS#11 call failed */
	TS_ERR_USAGE,     /* bad command-line usage */
	TS_ERR_DIFFERS,   /* verify found a missing or different file */
	TS_ERR_INTERNAL,  /* an invariant of the engine was broken */
	TS_ERR_MAX
};

#define TS_RESULT __attribute__((warn_unused_result)) ts_result
#define TS_OK ((ts_result){ 0 })

/* Records a failure (the first site since ts_error_clear() wins) and returns it. */
ts_result ts_fail(int code, unsigned long detail, const char *file, int line);

/*
 * Records a failure with a printf-style message.  The message must not hold
 * secret bytes.  Like ts_fail, the first recorded failure wins.
 */
ts_result ts_failf(int code, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Prepends "<context>: " to the recorded message (e.g. the file being
 * generated).  Does nothing when no failure is recorded.
 */
void ts_error_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Clears the thread-local error slot; call at the start of each top-level operation. */
void ts_error_clear(void);

/* The code of the recorded failure, or TS_ERR_NONE. */
int ts_last_error(void);

/* The message of the recorded failure, or a generic text for its code; never NULL. */
const char *ts_last_error_message(void);

/* The numeric detail (CK_RV, OpenSSL error code) of the recorded failure, or 0. */
unsigned long ts_last_error_detail(void);

/* Name of an error code, e.g. "TS_ERR_PARSE". */
const char *ts_err_name(int code);

/* Explicitly discards a result (s2n's s2n_result_ignore). */
static inline void
ts_result_ignore(ts_result r)
{
	(void)r;
}

static inline int
ts_is_ok(ts_result r)
{
	return r.code == 0;
}

#define TS_BAIL(e) return ts_fail((e), 0, __FILE__, __LINE__)
#define TS_BAILF(e, ...) return ts_failf((e), __FILE__, __LINE__, __VA_ARGS__)
#define TS_ENSURE(c, e)          \
	do {                     \
		if (!(c)) {      \
			TS_BAIL(e); \
		}                \
	} while (0)
#define TS_ENSUREF(c, e, ...)                  \
	do {                                   \
		if (!(c)) {                    \
			TS_BAILF(e, __VA_ARGS__); \
		}                              \
	} while (0)
#define TS_ENSURE_REF(p) TS_ENSURE((p) != NULL, TS_ERR_NULL)
#define TS_GUARD(x)                          \
	do {                                 \
		ts_result ts_r_ = (x);       \
		if (ts_r_.code != 0) {       \
			return ts_r_;        \
		}                            \
	} while (0)
/* For OpenSSL APIs that return 1 on success only. */
#define TS_GUARD_OSSL(x)                                                              \
	do {                                                                          \
		if ((x) != 1) {                                                       \
			return ts_fail(TS_ERR_CRYPTO, ERR_get_error(), __FILE__, __LINE__); \
		}                                                                     \
	} while (0)

/* A cleanup wrapper for library handles (s2n DEFER_CLEANUP). */
#define TS_AUTO(type, freefn) __attribute__((cleanup(freefn##_cleanup_))) type *
#define TS_DEFINE_AUTO(type, freefn)               \
	static inline void freefn##_cleanup_(type **p) \
	{                                              \
		if (*p != NULL) {                      \
			freefn(*p);                    \
		}                                      \
	}

#endif
