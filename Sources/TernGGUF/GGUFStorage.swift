internal import Glibc

/// The bytes of a GGUF file: a read-only private mapping or an owned copy, released in `deinit`.
///
/// Kept apart from ``GGUFFile`` so that memory is released even when parsing fails halfway
/// through the file's initializer.
final class GGUFStorage: @unchecked Sendable {
    /// First byte of the file.
    let base: UnsafeRawPointer
    /// Bytes in the file.
    let count: Int
    /// Whether `base` came from `mmap` (else from `allocate`).
    private let isMapped: Bool

    /// Maps the file at `path` read-only.
    init(path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GGUFError(.cannotOpen, "cannot open \(path): \(Self.lastError())") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError(.cannotOpen, "cannot stat \(path): \(Self.lastError())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw GGUFError(.cannotOpen, "\(path) is not a regular file") }
        let size = Int(info.st_size)
        guard size > 0 else { throw GGUFError(.truncated, "\(path) is empty") }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw GGUFError(.cannotOpen, "cannot map \(path) (\(size) bytes): \(Self.lastError())")
        }
        base = UnsafeRawPointer(address)
        count = size
        isMapped = true
    }

    /// Copies `bytes` into owned, 64-byte aligned memory.
    init(bytes: [UInt8]) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        bytes.withUnsafeBytes { source in
            if let start = source.baseAddress { memory.copyMemory(from: start, byteCount: source.count) }
        }
        base = UnsafeRawPointer(memory)
        count = bytes.count
        isMapped = false
    }

    /// Drops the whole pages inside `range` from resident memory (mapped files only); reading them maps them back.
    func evict(_ range: UnsafeRawBufferPointer) {
        guard isMapped, let start = range.baseAddress, range.count > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + range.count) / page * page
        guard end > first, let address = UnsafeMutableRawPointer(bitPattern: first) else { return }
        _ = madvise(address, end - first, MADV_DONTNEED)
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: base), count)
        } else {
            UnsafeMutableRawPointer(mutating: base).deallocate()
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
