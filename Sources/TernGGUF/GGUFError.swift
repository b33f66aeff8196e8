/// A GGUF file could not be opened or is malformed.
///
/// The ``code`` says what kind of problem it is; the ``message`` names it for a person,
/// with the key or tensor name and the byte offset where they are known.
///
/// ```swift
/// do {
///     let file = try GGUFFile(path: path)
/// } catch {
///     print(error)  // "GGUF: truncated: string length at offset 1234 needs 8 bytes, 3 left"
/// }
/// ```
public struct GGUFError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of problem.
    public enum Code: Sendable, Equatable {
        /// The file could not be opened, inspected or mapped.
        case cannotOpen
        /// The file ends before a field or value that it announces.
        case truncated
        /// The first four bytes are not `GGUF`.
        case badMagic
        /// The version is not 2 or 3.
        case unsupportedVersion
        /// A tensor, key or array count is larger than the rest of the file could hold.
        case countTooLarge
        /// A string length is larger than the rest of the file.
        case stringTooLong
        /// A string (key, value or tensor name) is not valid UTF-8.
        case invalidUTF8
        /// A metadata value type number is not one GGUF defines.
        case unknownValueType
        /// A bool value byte is neither 0 nor 1.
        case invalidBool
        /// Arrays are nested deeper than ``GGUFFile/maxArrayNesting``.
        case nestingTooDeep
        /// The same metadata key appears twice.
        case duplicateKey
        /// `general.alignment` is not a positive power-of-two integer.
        case invalidAlignment
        /// Two tensors have the same name.
        case duplicateTensorName
        /// A tensor has no dimensions or more than ``GGUFFile/maxDimensions``.
        case invalidDimensionCount
        /// A tensor dimension is zero or does not fit in a signed 64-bit integer.
        case invalidDimension
        /// A tensor's element or byte count overflows.
        case sizeOverflow
        /// A tensor type number is not one GGUF defines.
        case unknownTensorType
        /// A tensor's first dimension is not a whole number of its type's blocks.
        case partialBlock
        /// A tensor offset is not a multiple of the alignment.
        case misalignedTensor
        /// A tensor's bytes lie (partly) outside the data section.
        case tensorOutOfRange
        /// Two tensors share bytes.
        case overlappingTensors
    }

    /// The kind of problem.
    public let code: Code
    /// What went wrong, naming the key or tensor and the byte offset where known.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `GGUF: <code>: <message>`.
    public var description: String { "GGUF: \(code): \(message)" }
}
