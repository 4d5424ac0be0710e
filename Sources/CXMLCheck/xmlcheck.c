#include "CXMLCheck.h"
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <string.h>

int cxmlcheck_first_error(const char *path, char *message, size_t length, int *line) {
    xmlResetLastError();
    xmlDocPtr document = xmlReadFile(path, NULL, XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NONET);
    if (document) {
        xmlFreeDoc(document);
        return 0;
    }
    const xmlError *error = xmlGetLastError();
    *line = error ? error->line : 0;
    const char *text = error && error->message ? error->message : "malformed XML";
    if (length > 0) {
        strncpy(message, text, length - 1);
        message[length - 1] = '\0';
    }
    return 1;
}
