// Reference STREAM copy and triad on float arrays, the same method as tunebench's roofline:
// arrays of N floats, first touch by the owning thread, static schedule, best of 10 runs,
// 8 bytes per element for copy and 12 for triad (no write-allocate traffic counted).
// Build: gcc -O3 -march=native -fopenmp stream.c -o stream
// Run:   OMP_NUM_THREADS=N OMP_PLACES=cores OMP_PROC_BIND=close ./stream FLOATS
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 32L << 20;
    float *a = aligned_alloc(4096, n * sizeof(float));
    float *b = aligned_alloc(4096, n * sizeof(float));
    float *c = aligned_alloc(4096, n * sizeof(float));
    if (!a || !b || !c) { perror("aligned_alloc"); return 1; }
#pragma omp parallel for schedule(static)
    for (long i = 0; i < n; i++) { a[i] = 0; b[i] = 1; c[i] = 2; }
    double best_copy = 0, best_triad = 0;
    const float s = 3;
    for (int rep = 0; rep < 10; rep++) {
        double t0 = omp_get_wtime();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) a[i] = b[i];
        double t1 = omp_get_wtime();
#pragma omp parallel for schedule(static)
        for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
        double t2 = omp_get_wtime();
        double copy = 8.0 * n / (t1 - t0) / 1e9, triad = 12.0 * n / (t2 - t1) / 1e9;
        if (copy > best_copy) best_copy = copy;
        if (triad > best_triad) best_triad = triad;
    }
    printf("threads %d copy_gbps %.2f triad_gbps %.2f check %.1f\n", omp_get_max_threads(), best_copy, best_triad, a[n / 2]);
    free(a); free(b); free(c);
    return 0;
}
