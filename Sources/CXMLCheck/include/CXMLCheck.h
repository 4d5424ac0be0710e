#ifndef CXMLCHECK_H
#define CXMLCHECK_H
#include <stddef.h>

/// Parses the XML file at `path` with libxml2, printing nothing. Returns 0 when it is
/// well-formed; otherwise 1, with libxml2's message in `message` (NUL-terminated, at most
/// `length` bytes) and the line in `*line` (0 when unknown).
/// A C function rather than a Swift call: libxml2's headers pull in ICU headers that clash
/// with Foundation's copy of ICU when imported into Swift.
int cxmlcheck_first_error(const char *path, char *message, size_t length, int *line);

#endif
