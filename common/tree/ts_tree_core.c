#include "common/tree/ts_tree.h"

#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/base/ts_file.h"
#include "common/tree/ts_tree_int.h"

/*
 * The top's FuseSoC core names, under fileset_tapeout, the cores that select
 * the tapeout constants: `- "fileset_tapeout ? (vendor:lib:name[:version])"`.
 * Each must be the name of some core file of the tree, or FuseSoC fails to
 * resolve the top with --flag fileset_tapeout.
 */

#define MAX_WANTED 16
#define MAX_DEPTH 24

struct wanted {
	char vln[MAX_WANTED][200]; /* vendor:library:name */
	int found[MAX_WANTED];
	size_t n;
};

/* vendor:library:name of a VLNV (any version and leading operator dropped) into out. */
static void
vln(const char *s, size_t n, char out[200])
{
	while (n > 0 && !isalnum((unsigned char)*s)) {
		s++;
		n--;
	}
	size_t k = 0, colons = 0;
	while (k < n && k < 199 && s[k] != '"' && s[k] != '\'' && !isspace((unsigned char)s[k])) {
		if (s[k] == ':' && ++colons == 3) {
			break;
		}
		k++;
	}
	memcpy(out, s, k);
	out[k] = '\0';
}

static void
collect_wanted(const char *s, size_t len, struct wanted *w)
{
	static const char flag[] = "fileset_tapeout";
	for (const char *p = s; (p = memmem(p, len - (size_t)(p - s), flag, sizeof(flag) - 1)) != NULL;
	     p += sizeof(flag) - 1) {
		if (p > s && p[-1] == '!') {
			continue;
		}
		const char *q = p + sizeof(flag) - 1;
		while (*q == ' ') {
			q++;
		}
		const char *end = memchr(q, ')', len - (size_t)(q - s));
		if (*q != '?' || end == NULL || memchr(q, '\n', (size_t)(end - q)) != NULL) {
			continue;
		}
		const char *open = memchr(q, '(', (size_t)(end - q));
		if (open != NULL && w->n < MAX_WANTED) {
			vln(open + 1, (size_t)(end - open - 1), w->vln[w->n]);
			w->n += w->vln[w->n][0] != '\0';
		}
	}
}

/* The name: of one core file, marking a wanted core it is. */
static void
mark(const char *path, struct wanted *w)
{
	struct ts_buf b = { 0 };
	if (ts_file_read(path, 1u << 20, &b).code == 0 && b.len > 0) {
		const char *s = (const char *)b.data;
		for (size_t off = 0; off < b.len; off = ts_tree_line_end(s, b.len, off) + 1) {
			if (strncmp(s + off, "name:", 5) == 0) {
				char got[200];
				size_t le = ts_tree_line_end(s, b.len, off);
				vln(s + off + 5, le - off - 5, got);
				for (size_t i = 0; i < w->n; i++) {
					w->found[i] |= strcmp(got, w->vln[i]) == 0;
				}
				break;
			}
		}
	}
	ts_error_clear();
	ts_buf_free(&b);
}

static void
walk(const char *dir, int depth, struct wanted *w)
{
	DIR *d = depth < MAX_DEPTH ? opendir(dir) : NULL;
	struct dirent *e;
	char p[PATH_MAX];
	struct stat st;
	while (d != NULL && (e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		int k = snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || k <= 0 || (size_t)k >= sizeof(p) || lstat(p, &st) != 0) {
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk(p, depth + 1, w);
		} else if (S_ISREG(st.st_mode) && n > 5 && strcmp(e->d_name + n - 5, ".core") == 0) {
			mark(p, w);
		}
	}
	if (d != NULL) {
		closedir(d);
	}
}

ts_result
ts_tree_core_check(const struct ts_tree *t, struct ts_tree_status *st)
{
	char path[PATH_MAX + 96], hw[PATH_MAX + 4], shown[160];
	static struct wanted w;
	memset(&w, 0, sizeof(w));
	(void)snprintf(path, sizeof(path), "%s/top_%s.core", t->topdir, t->top);
	(void)snprintf(shown, sizeof(shown), "hw/top_%s/top_%s.core", t->top, t->top);
	struct ts_buf b = { 0 };
	if (ts_file_read(path, TS_TREE_MAX_FILE, &b).code != 0) {
		ts_error_clear();
		ts_buf_free(&b);
		if (st->nnote < TS_TREE_MAX_NOTES) {
			(void)snprintf(st->note[st->nnote++], 512, "%s not readable: its fileset_tapeout cores not checked",
				       shown);
		}
		return TS_OK;
	}
	collect_wanted((const char *)b.data, b.len, &w);
	ts_buf_free(&b);
	(void)snprintf(hw, sizeof(hw), "%s/hw", t->root);
	walk(hw, 0, &w);
	for (size_t i = 0; i < w.n && st->nwarn < TS_TREE_MAX_NOTES; i++) {
		if (!w.found[i]) {
			(void)snprintf(st->warn[st->nwarn++], 512,
				       "%s asks for core '%s' under fileset_tapeout, but no core file under hw/ has that "
				       "name, so FuseSoC cannot resolve the top with --flag fileset_tapeout (tapeseal "
				       "names the tapeout cores 'lowrisc:%s_constants:tapeout_*')",
				       shown, w.vln[i], t->top);
		}
	}
	return TS_OK;
}
