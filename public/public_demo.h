#ifndef TS_PUBLIC_PUBLIC_DEMO_H
#define TS_PUBLIC_PUBLIC_DEMO_H

#include <stddef.h>

/* The bundled demo top (seeds/), embedded at build time so the binary runs anywhere. */
extern const unsigned char public_demo_structure[];
extern const size_t public_demo_structure_len;
extern const unsigned char public_demo_seeds[];
extern const size_t public_demo_seeds_len;

#define PUBLIC_DEMO_OUTDIR "tapeseal-demo"
#define PUBLIC_DEMO_STRUCTURE_NAME "seeds/top_demo.structure.hjson"
#define PUBLIC_DEMO_SEEDS_NAME "seeds/top_demo_seed.testing.hjson"

#endif
