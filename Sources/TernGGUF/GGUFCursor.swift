/// Reads little-endian GGUF fields from a byte range, never past its end.
///
/// Every read checks the bytes left first and throws ``GGUFError`` instead of reading out of bounds.
struct GGUFCursor {
    /// First byte of the file.
    let base: UnsafeRawPointer
    /// Bytes in the file.
    let size: Int
    /// Offset of the next byte to read; always `<= size`.
    private(set) var offset: Int = 0

    init(base: UnsafeRawPointer, size: Int) {
        self.base = base
        self.size = size
    }

    /// Bytes left after `offset`.
    var remaining: Int { size - offset }

    /// Throws `.truncated` unless `count` more bytes are present.
    func require(_ count: Int, for what: @autoclosure () -> String) throws(GGUFError) {
        guard count <= remaining else {
            throw GGUFError(.truncated, "\(what()) at offset \(offset) needs \(count) bytes, \(remaining) left")
        }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        try require(MemoryLayout<T>.size, for: what())
        let value = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    /// Reads a `uint64` count or length and checks it fits in `Int`.
    mutating func readCount(_ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        guard let value = Int(exactly: raw) else {
            throw GGUFError(.countTooLarge, "\(what()) \(raw) at offset \(start) is too large")
        }
        return value
    }

    /// Reads a length-prefixed UTF-8 string.
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let raw = try read(UInt64.self, "\(what()) length")
        guard raw <= UInt64(remaining) else {
            throw GGUFError(.stringTooLong, "\(what()) at offset \(start) has length \(raw), but only \(remaining) bytes are left")
        }
        let length = Int(raw)
        let bytes = UnsafeBufferPointer(start: (base + offset).assumingMemoryBound(to: UInt8.self), count: length)
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw GGUFError(.invalidUTF8, "\(what()) at offset \(start) is not valid UTF-8")
        }
        offset += length
        return string
    }

    /// Moves `offset` to `newOffset`, which must lie within the file.
    mutating func seek(to newOffset: Int) {
        precondition(newOffset >= 0 && newOffset <= size)
        offset = newOffset
    }
}
