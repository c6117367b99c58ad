// The runtime guard of a CPU-tuned build (docs/performance.md, "Build target").
//
// A binary whose Swift code was compiled with -target-cpu haswell contains
// AVX2/FMA/BMI instructions anywhere, from main's first line on. On an older
// CPU it would die of SIGILL at some arbitrary point; instead, this
// constructor (compiled for the baseline: the tuned flags reach only swiftc,
// this file sees just the define) checks the CPU before any Swift code runs
// and refuses in one line with exit status 1.
#include "build_target.h"

#include <stdlib.h>
#include <unistd.h>

#if defined(DIODESCAN_TARGET_HASWELL) && defined(__x86_64__)
#include <cpuid.h>

// LLVM's haswell: AVX, AVX2, FMA, BMI1, BMI2, F16C, MOVBE, LZCNT (plus the
// SSE4.2/POPCNT every such CPU has), and an OS that saves the YMM registers.
static int cpu_has_haswell_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, movbe = 1u << 22, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | movbe | osxsave | avx | f16c)) != (fma | movbe | osxsave | avx | f16c)) return 0;
    unsigned xcr0_low, xcr0_high;
    __asm__ volatile("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 6u) != 6u) return 0;   // XMM and YMM state enabled by the OS
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    const unsigned bmi1 = 1u << 3, avx2 = 1u << 5, bmi2 = 1u << 8;
    if ((b & (bmi1 | avx2 | bmi2)) != (bmi1 | avx2 | bmi2)) return 0;
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return 0;
    return (c & (1u << 5)) != 0;            // LZCNT (ABM)
}

const char *diodescan_build_target_cpu(void) { return "haswell"; }

int diodescan_cpu_supports_build_target(void) {
    // For the test of the refusal on a machine that has the features.
    const char *simulate = getenv("DIODESCAN_SIMULATE_OLD_CPU");
    if (simulate != NULL && simulate[0] == '1') return 0;
    return cpu_has_haswell_features();
}

__attribute__((constructor)) static void diodescan_check_build_target(void) {
    if (diodescan_cpu_supports_build_target()) return;
    static const char message[] =
        "diodescan: this binary was built for Haswell-class x86-64 CPUs (AVX2, FMA, BMI2) and this CPU lacks "
        "them; rebuild it on this machine, or portable with DIODESCAN_CPU=portable (see cluster/README.md)\n";
    ssize_t ignored = write(2, message, sizeof message - 1);
    (void)ignored;
    _exit(1);
}
#else
const char *diodescan_build_target_cpu(void) {
#if defined(__x86_64__)
    return "x86-64";
#elif defined(__aarch64__)
    return "aarch64";
#else
    return "baseline";
#endif
}

int diodescan_cpu_supports_build_target(void) { return 1; }
#endif
