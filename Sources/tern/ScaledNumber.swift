import Foundation

/// `text` (trimmed, any case) as a number followed by one of `units`' suffixes, times that unit's factor: the first
/// suffix that matches counts, and no suffix means a factor of 1. Nil when the rest is not a finite number.
func scaledNumber(_ text: String, units: [(suffix: String, factor: Double)]) -> Double? {
    let text = text.trimmingCharacters(in: .whitespaces).lowercased()
    var number = Substring(text)
    var scale: Double = 1
    for (suffix, factor) in units where text.hasSuffix(suffix) {
        number = text.dropLast(suffix.count)
        scale = factor
        break
    }
    guard let value = Double(number.trimmingCharacters(in: .whitespaces)), value.isFinite else { return nil }
    return value * scale
}
