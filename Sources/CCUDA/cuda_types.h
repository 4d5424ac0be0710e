#ifndef CCUDA_TYPES_H
#define CCUDA_TYPES_H
// The subset of the CUDA driver API (cuda.h), NVRTC (nvrtc.h) and cuBLAS (cublas_api.h) that
// tunebench calls. All three are opened with dlopen at run time and never linked, so tunebench
// builds and runs on machines without an NVIDIA driver or CUDA toolkit. Signatures and enum
// values follow cuda.h 12.x (the _v2 entry points exist since CUDA 4.0).

#include <stddef.h>

// ---- CUDA driver API (libcuda.so.1) ----
typedef int ccuda_result;                       // CUresult; 0 is CUDA_SUCCESS
typedef int ccuda_device;                       // CUdevice
typedef unsigned long long ccuda_deviceptr;     // CUdeviceptr
typedef struct ccuda_ctx_st *ccuda_context;     // CUcontext
typedef struct ccuda_mod_st *ccuda_module;      // CUmodule
typedef struct ccuda_func_st *ccuda_function;   // CUfunction
typedef struct ccuda_event_st *ccuda_event;     // CUevent
typedef struct ccuda_stream_st *ccuda_stream;   // CUstream
typedef struct { char bytes[16]; } ccuda_uuid;  // CUuuid

// CUdevice_attribute values tunebench reads.
enum {
    CCUDA_ATTR_MAX_THREADS_PER_BLOCK = 1,
    CCUDA_ATTR_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CCUDA_ATTR_WARP_SIZE = 10,
    CCUDA_ATTR_MAX_REGISTERS_PER_BLOCK = 12,
    CCUDA_ATTR_CLOCK_RATE = 13,                 // kHz
    CCUDA_ATTR_MULTIPROCESSOR_COUNT = 16,
    CCUDA_ATTR_PCI_BUS_ID = 33,
    CCUDA_ATTR_PCI_DEVICE_ID = 34,
    CCUDA_ATTR_MEMORY_CLOCK_RATE = 36,          // kHz
    CCUDA_ATTR_GLOBAL_MEMORY_BUS_WIDTH = 37,    // bits
    CCUDA_ATTR_L2_CACHE_SIZE = 38,              // bytes
    CCUDA_ATTR_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    CCUDA_ATTR_PCI_DOMAIN_ID = 50,
    CCUDA_ATTR_COMPUTE_CAPABILITY_MAJOR = 75,
    CCUDA_ATTR_COMPUTE_CAPABILITY_MINOR = 76,
    CCUDA_ATTR_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    CCUDA_ATTR_MAX_REGISTERS_PER_MULTIPROCESSOR = 82,
    CCUDA_ATTR_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
};

// CUfunction_attribute values.
enum {
    CCUDA_FUNC_MAX_THREADS_PER_BLOCK = 0,
    CCUDA_FUNC_SHARED_SIZE_BYTES = 1,
    CCUDA_FUNC_LOCAL_SIZE_BYTES = 3,
    CCUDA_FUNC_NUM_REGS = 4,
    CCUDA_FUNC_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
};

// CUjit_option values for cuModuleLoadDataEx's logs.
enum {
    CCUDA_JIT_INFO_LOG_BUFFER = 3,
    CCUDA_JIT_INFO_LOG_BUFFER_SIZE_BYTES = 4,
    CCUDA_JIT_ERROR_LOG_BUFFER = 5,
    CCUDA_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6,
};

typedef ccuda_result (*ccuda_init_fn)(unsigned int flags);
typedef ccuda_result (*ccuda_driver_version_fn)(int *version);
typedef ccuda_result (*ccuda_device_count_fn)(int *count);
typedef ccuda_result (*ccuda_device_get_fn)(ccuda_device *device, int ordinal);
typedef ccuda_result (*ccuda_device_name_fn)(char *name, int length, ccuda_device device);
typedef ccuda_result (*ccuda_device_uuid_fn)(ccuda_uuid *uuid, ccuda_device device);
typedef ccuda_result (*ccuda_device_total_mem_fn)(size_t *bytes, ccuda_device device);
typedef ccuda_result (*ccuda_device_attribute_fn)(int *value, int attribute, ccuda_device device);
typedef ccuda_result (*ccuda_device_pci_bus_id_fn)(char *busID, int length, ccuda_device device);
typedef ccuda_result (*ccuda_error_string_fn)(ccuda_result error, const char **text);
typedef ccuda_result (*ccuda_primary_ctx_retain_fn)(ccuda_context *context, ccuda_device device);
typedef ccuda_result (*ccuda_primary_ctx_release_fn)(ccuda_device device);
typedef ccuda_result (*ccuda_ctx_set_current_fn)(ccuda_context context);
typedef ccuda_result (*ccuda_ctx_synchronize_fn)(void);
typedef ccuda_result (*ccuda_mem_alloc_fn)(ccuda_deviceptr *pointer, size_t bytes);
typedef ccuda_result (*ccuda_mem_free_fn)(ccuda_deviceptr pointer);
typedef ccuda_result (*ccuda_memcpy_htod_fn)(ccuda_deviceptr destination, const void *source, size_t bytes);
typedef ccuda_result (*ccuda_memcpy_dtoh_fn)(void *destination, ccuda_deviceptr source, size_t bytes);
typedef ccuda_result (*ccuda_memset_d8_fn)(ccuda_deviceptr destination, unsigned char value, size_t bytes);
typedef ccuda_result (*ccuda_module_load_data_ex_fn)(ccuda_module *module, const void *image, unsigned int count,
                                                     int *options, void **values);
typedef ccuda_result (*ccuda_module_unload_fn)(ccuda_module module);
typedef ccuda_result (*ccuda_module_get_function_fn)(ccuda_function *function, ccuda_module module, const char *name);
typedef ccuda_result (*ccuda_func_get_attribute_fn)(int *value, int attribute, ccuda_function function);
typedef ccuda_result (*ccuda_func_set_attribute_fn)(ccuda_function function, int attribute, int value);
typedef ccuda_result (*ccuda_launch_kernel_fn)(ccuda_function function, unsigned int gridX, unsigned int gridY,
                                               unsigned int gridZ, unsigned int blockX, unsigned int blockY,
                                               unsigned int blockZ, unsigned int sharedBytes, ccuda_stream stream,
                                               void **parameters, void **extra);
typedef ccuda_result (*ccuda_func_get_param_info_fn)(ccuda_function function, size_t index, size_t *offset, size_t *size);
/* cuTensorMapEncodeTiled (CUDA 12.0 on): a 128-byte CUtensorMap describing a tiled view of a
   global tensor for the tensor memory accelerator (TMA). Enumerations as plain integers:
   data type 6 = FLOAT16, 9 = BFLOAT16; interleave 0 = NONE; swizzle 3 = 128B;
   L2 promotion 3 = 256B; out-of-bounds fill 0 = zeros. */
typedef ccuda_result (*ccuda_tensor_map_encode_tiled_fn)(void *tensorMap, int dataType, unsigned int rank,
                                                        void *globalAddress, const unsigned long long *globalDim,
                                                        const unsigned long long *globalStrides, const unsigned int *boxDim,
                                                        const unsigned int *elementStrides, int interleave, int swizzle,
                                                        int l2Promotion, int oobFill);
typedef ccuda_result (*ccuda_event_create_fn)(ccuda_event *event, unsigned int flags);
typedef ccuda_result (*ccuda_event_record_fn)(ccuda_event event, ccuda_stream stream);
typedef ccuda_result (*ccuda_event_synchronize_fn)(ccuda_event event);
typedef ccuda_result (*ccuda_event_elapsed_fn)(float *milliseconds, ccuda_event start, ccuda_event end);
typedef ccuda_result (*ccuda_event_destroy_fn)(ccuda_event event);

// ---- NVRTC (libnvrtc.so.12 / .13) ----
typedef int cnvrtc_result;                      // nvrtcResult; 0 is NVRTC_SUCCESS
typedef struct cnvrtc_program_st *cnvrtc_program;

typedef cnvrtc_result (*cnvrtc_version_fn)(int *major, int *minor);
typedef cnvrtc_result (*cnvrtc_create_program_fn)(cnvrtc_program *program, const char *source, const char *name,
                                                  int headerCount, const char *const *headers,
                                                  const char *const *includeNames);
typedef cnvrtc_result (*cnvrtc_compile_program_fn)(cnvrtc_program program, int optionCount, const char *const *options);
typedef cnvrtc_result (*cnvrtc_get_size_fn)(cnvrtc_program program, size_t *size);
typedef cnvrtc_result (*cnvrtc_get_bytes_fn)(cnvrtc_program program, char *bytes);
typedef cnvrtc_result (*cnvrtc_destroy_program_fn)(cnvrtc_program *program);
typedef const char *(*cnvrtc_error_string_fn)(cnvrtc_result result);
typedef cnvrtc_result (*cnvrtc_supported_arch_count_fn)(int *count);
typedef cnvrtc_result (*cnvrtc_supported_archs_fn)(int *archs);

// ---- cuBLAS (libcublas.so.12 / .13) ----
typedef int ccublas_status;                     // cublasStatus_t; 0 is CUBLAS_STATUS_SUCCESS
typedef struct ccublas_context *ccublas_handle;

enum {
    CCUBLAS_OP_N = 0, CCUBLAS_OP_T = 1,
    // cudaDataType
    CCUDA_R_32F = 0, CCUDA_R_16F = 2, CCUDA_R_16BF = 14,
    // cublasComputeType_t
    CCUBLAS_COMPUTE_32F = 68, CCUBLAS_COMPUTE_32F_FAST_TF32 = 77,
    // cublasGemmAlgo_t
    CCUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
    // cublasMath_t
    CCUBLAS_DEFAULT_MATH = 0, CCUBLAS_PEDANTIC_MATH = 2,
};

typedef ccublas_status (*ccublas_create_fn)(ccublas_handle *handle);
typedef ccublas_status (*ccublas_destroy_fn)(ccublas_handle handle);
typedef ccublas_status (*ccublas_set_math_mode_fn)(ccublas_handle handle, int mode);
typedef ccublas_status (*ccublas_get_version_fn)(ccublas_handle handle, int *version);
typedef ccublas_status (*ccublas_gemm_ex_fn)(ccublas_handle handle, int transa, int transb, int m, int n, int k,
                                             const void *alpha, const void *a, int aType, int lda,
                                             const void *b, int bType, int ldb, const void *beta,
                                             void *c, int cType, int ldc, int computeType, int algo);

#endif
