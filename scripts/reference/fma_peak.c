// Reference peak FP32 FMA throughput: the same method as tunebench's roofline (12 independent
// chains of 8 floats, 16 with AVX-512), one thread per core through OpenMP, best of 5 runs.
// Build: gcc -O3 -march=native -ffp-contract=fast -fopenmp fma_peak.c -o fma_peak
// Run:   OMP_NUM_THREADS=N OMP_PLACES=cores OMP_PROC_BIND=close ./fma_peak [seconds]
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef __AVX512F__
#define LANES 16
#else
#define LANES 8
#endif
typedef float vec __attribute__((vector_size(LANES * 4)));

// The seeds come from a volatile: with constants, GCC 12 folded one of the 12 chains away
// (11 FMAs per iteration in the loop), which overstated this reference by 12/11.
static volatile float seeds[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

__attribute__((noinline)) static float chains(long iterations) {
    vec x = (vec){0} + 0.9999999f, y = (vec){0} + 1e-7f;
    vec a0 = (vec){0} + seeds[0], a1 = (vec){0} + seeds[1], a2 = (vec){0} + seeds[2];
    vec a3 = (vec){0} + seeds[3], a4 = (vec){0} + seeds[4], a5 = (vec){0} + seeds[5];
    vec a6 = (vec){0} + seeds[6], a7 = (vec){0} + seeds[7], a8 = (vec){0} + seeds[8];
    vec a9 = (vec){0} + seeds[9], a10 = (vec){0} + seeds[10], a11 = (vec){0} + seeds[11];
    for (long i = 0; i < iterations; i++) {
        a0 = a0 * x + y; a1 = a1 * x + y; a2 = a2 * x + y; a3 = a3 * x + y;
        a4 = a4 * x + y; a5 = a5 * x + y; a6 = a6 * x + y; a7 = a7 * x + y;
        a8 = a8 * x + y; a9 = a9 * x + y; a10 = a10 * x + y; a11 = a11 * x + y;
    }
    vec s = (a0 + a1) + (a2 + a3) + (a4 + a5) + (a6 + a7) + (a8 + a9) + (a10 + a11);
    float total = 0;
    for (int i = 0; i < LANES; i++) total += s[i];
    return total;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.2;
    long probe = 1 << 20;
    double t0 = omp_get_wtime();
    volatile float sink = chains(probe);
    long iterations = (long)(probe * seconds / (omp_get_wtime() - t0));
    int threads = 1;
    double best = 0;
    for (int rep = 0; rep < 5; rep++) {
        double start = 0, end = 0;
#pragma omp parallel
        {
#pragma omp single
            threads = omp_get_num_threads();
#pragma omp barrier
#pragma omp master
            start = omp_get_wtime();
            float r = chains(iterations);
#pragma omp critical
            sink += r;
#pragma omp barrier
#pragma omp master
            end = omp_get_wtime();
        }
        double gflops = 2.0 * LANES * 12 * (double)iterations * threads / (end - start) / 1e9;
        if (gflops > best) best = gflops;
    }
    (void)sink;
    printf("threads %d fma_gflops %.2f\n", threads, best);
    return 0;
}
