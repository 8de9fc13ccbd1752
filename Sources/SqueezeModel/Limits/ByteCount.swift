/// Byte counts for people: `80,000,000,000 bytes (74.5 GiB)`, and parsing
/// `4G`, `512MiB`, `1000000` for options.
public enum ByteCount {
    /// `1,234,567`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return value < 0 ? "-" + out : out
    }

    /// `80,000,000,000 bytes (74.5 GiB)`; the binary unit only from 1 KiB on.
    public static func describe(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var value = Double(bytes)
        var unit = -1
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let text = "\(grouped(bytes)) bytes"
        guard unit >= 0 else { return text }
        let rounded = (value * 10).rounded() / 10
        return "\(text) (\(rounded) \(units[unit]))"
    }

    /// Parses a size: a whole number of bytes with an optional binary suffix
    /// `K`, `M`, `G`, `T` (also `KiB`, `MB`, ...; all mean powers of 1024),
    /// case-insensitive. Nil for anything else, zero, or a size past `Int.max`.
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.filter { $0 != " " && $0 != "\t" }.lowercased()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, digits.count <= 19, let number = Int(digits) else { return nil }
        let suffix = trimmed.dropFirst(digits.count)
        let shifts: [String: Int] = [
            "": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20,
            "g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40,
        ]
        guard let shift = shifts[String(suffix)], number > 0 else { return nil }
        return Checked.multiply(number, 1 << shift)
    }
}
