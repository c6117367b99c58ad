#ifndef DIODESCAN_BUILD_TARGET_H
#define DIODESCAN_BUILD_TARGET_H

/* The CPU the Swift code of this binary was compiled for: "haswell" when
   built with scripts/build-flags.sh's tuned flags (-target-cpu haswell, which
   also defines DIODESCAN_TARGET_HASWELL for this file), else "x86-64" or the
   machine's baseline. */
const char *diodescan_build_target_cpu(void);

/* 1 when the running CPU can execute code built for that target, 0 if not
   (then the binary has already refused to start; see build_target.c). */
int diodescan_cpu_supports_build_target(void);

#endif
