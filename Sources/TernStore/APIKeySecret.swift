import Crypto
import Foundation

/// The secret part of an API key: `tern-` and 40 random base-62 characters (about 238 bits), shown once.
///
/// Only ``hash`` is stored; a key presented later is hashed and looked up. The prefix makes leaked keys easy to
/// find with secret scanners.
public struct APIKeySecret: Sendable, Equatable {
    /// What every key starts with.
    public static let prefix = "tern-"
    /// Random characters after the prefix.
    public static let randomLength = 40
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// The whole key, as the client sends it.
    public let value: String

    /// Wraps a key presented by a client.
    public init(_ value: String) {
        self.value = value
    }

    /// A new random key from the system's cryptographic generator.
    public static func generate() -> APIKeySecret {
        APIKeySecret(prefix + randomString(length: randomLength))
    }

    /// Random base-62 characters; rejection sampling keeps every character equally likely.
    static func randomString(length: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        while bytes.count < length {
            let byte = UInt8.random(in: 0...255, using: &generator)
            if byte < 248 { bytes.append(alphabet[Int(byte % 62)]) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The SHA-256 of the key, as lowercase hex: what the store keeps. Computed for every request, so without
    /// Foundation's formatting (32 `String(format:)` calls cost more than the hash).
    public var hash: String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(64)
        for byte in SHA256.hash(data: Data(value.utf8)) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The first characters, safe to show in lists (`tern-Ab3d`).
    public var displayPrefix: String {
        String(value.prefix(Self.prefix.count + 4))
    }
}
