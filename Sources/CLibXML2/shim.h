#ifndef CLIBXML2_SHIM_H
#define CLIBXML2_SHIM_H
// libxml2, only to say where an XML file is broken when hwloc refuses it.
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#endif
