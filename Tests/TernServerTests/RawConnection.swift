import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A plain TCP connection to 127.0.0.1, for tests that must hang up in the middle of a response.
final class RawConnection {
    private let socketDescriptor: Int32

    /// Connects to `port`; reads time out after `timeoutSeconds` so a test can never hang.
    init(port: Int, timeoutSeconds: Int = 30) throws {
        #if canImport(Glibc)
            socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            socketDescriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socketDescriptor >= 0 else { throw TestSetupError("socket() failed") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketDescriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            Self.closeDescriptor(socketDescriptor)
            throw TestSetupError("connect() to port \(port) failed")
        }
    }

    /// Sends a POST with a JSON body.
    func sendPost(path: String, json: String, key: String = "test") {
        let request =
            "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Bearer \(key)\r\n"
            + "Content-Length: \(json.utf8.count)\r\n\r\n\(json)"
        let bytes = Array(request.utf8)
        _ = bytes.withUnsafeBytes { send(socketDescriptor, $0.baseAddress, $0.count, 0) }
    }

    /// Sends raw bytes; false when the peer has closed the connection.
    @discardableResult
    func write(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { send(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return sent == bytes.count
    }

    /// Whether the peer has closed the connection (waits up to the read timeout for data or the close).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        let count = recv(socketDescriptor, &byte, 1, Int32(MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }

    /// Whatever has arrived, without waiting.
    func readAvailable() -> String {
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : ""
    }

    /// Reads until `predicate` holds for everything received so far, or the peer closes or times out.
    func receive(until predicate: (String) -> Bool) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while !predicate(String(decoding: received, as: UTF8.self)) {
            let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            received += buffer[..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Reads one whole response (by its `Content-Length`, or to the last chunk of a chunked body) and returns its
    /// status, head and body; nil when the connection ended before a whole response came.
    func receiveResponse() -> (status: Int, head: String, body: String)? {
        var parsed: (status: Int, head: String, body: String)?
        _ = receive { text in
            parsed = Self.parseResponse(text)
            return parsed != nil
        }
        return parsed
    }

    /// The first whole response in `text`, if there is one.
    static func parseResponse(_ text: String) -> (status: Int, head: String, body: String)? {
        guard let end = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.1 "), let status = Int(text.dropFirst(9).prefix(3)) else {
            return nil
        }
        let head = String(text[..<end.lowerBound])
        let rest = text[end.upperBound...]
        let fields = head.lowercased().split(separator: "\r\n")
        if let length = fields.first(where: { $0.hasPrefix("content-length:") }).flatMap({
            Int($0.dropFirst(15).trimmingCharacters(in: .whitespaces))
        }) {
            return rest.utf8.count >= length ? (status, head, String(rest.utf8.prefix(length))!) : nil
        }
        if fields.contains("transfer-encoding: chunked") {
            return rest.hasSuffix("0\r\n\r\n") ? (status, head, String(rest)) : nil
        }
        return (status, head, String(rest))
    }

    /// Hangs up.
    func close() { Self.closeDescriptor(socketDescriptor) }

    private static func closeDescriptor(_ descriptor: Int32) {
        #if canImport(Glibc)
            _ = Glibc.close(descriptor)
        #else
            _ = Darwin.close(descriptor)
        #endif
    }
}
