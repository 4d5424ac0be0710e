import CXMLCheck
import Foundation

/// Finds the first XML syntax error in a file, as "line N: reason", for error messages.
enum XMLSyntaxCheck {
    static func firstError(inFile path: String) -> String? {
        var message = [CChar](repeating: 0, count: 512)
        var line: Int32 = 0
        guard cxmlcheck_first_error(path, &message, message.count, &line) != 0 else { return nil }
        let reason = String(nulTerminated: message).trimmingCharacters(in: .whitespacesAndNewlines)
        return line > 0 ? "line \(line): \(reason)" : reason
    }
}
