#ifndef CHWLOC_SHIM_H
#define CHWLOC_SHIM_H
// hwloc's API imports into Swift as is (its static inline helpers included).
#include <hwloc.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

// Loads an XML topology buffer in a forked child, with the type filters HwlocTopology sets, and
// reports how the child ended: 0 loaded, 3 or 4 refused by hwloc, 1000 + N killed by signal N
// (libhwloc dereferences null on some damaged but well-formed exports), -1 no fork. Only C runs
// in the child (no Swift runtime, no allocation but hwloc's own), and SIGALRM ends a child that
// hangs. The caller loads the buffer in-process only once a child has survived it.
static inline int tunebench_hwloc_xml_trial_load(const char *buffer, int size) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        alarm(20);
        hwloc_topology_t topology;
        if (hwloc_topology_init(&topology) != 0) _exit(2);
        hwloc_topology_set_io_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_IMPORTANT);
        hwloc_topology_set_icache_types_filter(topology, HWLOC_TYPE_FILTER_KEEP_ALL);
        hwloc_topology_set_type_filter(topology, HWLOC_OBJ_MEMCACHE, HWLOC_TYPE_FILTER_KEEP_ALL);
        if (hwloc_topology_set_xmlbuffer(topology, buffer, size) != 0) _exit(3);
        if (hwloc_topology_load(topology) != 0) _exit(4);
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (WIFSIGNALED(status)) return 1000 + WTERMSIG(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
#endif
