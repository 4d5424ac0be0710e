import Foundation

/// Writes all of `data` to the pipe `fd`, retrying after signals; false when the other end is
/// gone (the tuner's and the worker's side of the pipe both write this way).
func writeAll(_ data: Data, to fd: Int32) -> Bool {
    data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
