#ifndef CNVML_TYPES_H
#define CNVML_TYPES_H
// The subset of NVML's ABI (nvml.h, NVIDIA Management Library) that tunebench calls. NVML is
// opened with dlopen("libnvidia-ml.so.1") at run time, never linked, so machines without an
// NVIDIA driver build and run tunebench unchanged. Layouts follow nvml.h of driver 450 and later.

typedef int cnvml_return;               // nvmlReturn_t; 0 is NVML_SUCCESS
typedef struct cnvml_device_st *cnvml_device; // nvmlDevice_t

typedef struct {                        // nvmlMemory_t
    unsigned long long total;
    unsigned long long free;
    unsigned long long used;
} cnvml_memory;

typedef struct {                        // nvmlPciInfo_t (v3)
    char busIdLegacy[16];
    unsigned int domain;
    unsigned int bus;
    unsigned int device;
    unsigned int pciDeviceId;           // (device id << 16) | vendor id
    unsigned int pciSubSystemId;
    char busId[32];
} cnvml_pci_info;

typedef struct {                        // nvmlDeviceAttributes_t
    unsigned int multiprocessorCount;
    unsigned int sharedCopyEngineCount;
    unsigned int sharedDecoderCount;
    unsigned int sharedEncoderCount;
    unsigned int sharedJpegCount;
    unsigned int sharedOfaCount;
    unsigned int gpuInstanceSliceCount;
    unsigned int computeInstanceSliceCount;
    unsigned long long memorySizeMB;
} cnvml_device_attributes;

typedef cnvml_return (*cnvml_init_fn)(void);
typedef cnvml_return (*cnvml_shutdown_fn)(void);
typedef cnvml_return (*cnvml_get_count_fn)(unsigned int *count);
typedef cnvml_return (*cnvml_get_handle_fn)(unsigned int index, cnvml_device *device);
typedef cnvml_return (*cnvml_get_name_fn)(cnvml_device device, char *name, unsigned int length);
typedef cnvml_return (*cnvml_get_memory_fn)(cnvml_device device, cnvml_memory *memory);
typedef cnvml_return (*cnvml_get_capability_fn)(cnvml_device device, int *major, int *minor);
typedef cnvml_return (*cnvml_get_pci_fn)(cnvml_device device, cnvml_pci_info *pci);
typedef cnvml_return (*cnvml_get_attributes_fn)(cnvml_device device, cnvml_device_attributes *attributes);
typedef cnvml_return (*cnvml_driver_version_fn)(char *version, unsigned int length);
typedef cnvml_return (*cnvml_get_handle_by_bus_fn)(const char *pciBusId, cnvml_device *device);
// MIG mode (A100 and later): 1 in `current` when the GPU is split into MIG instances; then CUDA
// sees only the instances, each with its own UUID ("MIG-…"), all at the GPU's PCI address.
typedef cnvml_return (*cnvml_get_mig_mode_fn)(cnvml_device device, unsigned int *current, unsigned int *pending);
// Millijoules since the driver was loaded (Volta and later).
typedef cnvml_return (*cnvml_total_energy_fn)(cnvml_device device, unsigned long long *millijoules);

#endif
