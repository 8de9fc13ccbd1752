/// Names from a file, made safe for one-line messages.
enum ONNXText {
    /// The most characters of a name a message shows.
    static let maximumShown = 80

    /// `'name'`, with control characters escaped (a message stays on one line)
    /// and a long name cut short.
    static func quoted(_ name: String) -> String {
        var shown = ""
        for (index, scalar) in name.unicodeScalars.enumerated() {
            if index == maximumShown {
                shown += "..."
                break
            }
            // Escape what a terminal would not print as itself.
            if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator || scalar == "'" || scalar == "\\" {
                shown += scalar.escaped(asASCII: true)
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return "'\(shown)'"
    }
}
