#ifndef TS_SECURE_SECURE_POLICY_DEFAULT_H
#define TS_SECURE_SECURE_POLICY_DEFAULT_H

#include <stddef.h>

/* policies/tapeout.hjson, embedded at build time. */
extern const unsigned char secure_policy_default[];
extern const size_t secure_policy_default_len;

#endif
