/// A small scanner and parser for protobuf text format that keeps positions.
///
/// It accepts the grammar protobuf's text format allows (scalars, `[a, b]` lists,
/// `{}` and `<>` messages, optional `:` before messages, `,`/`;` separators, `#`
/// comments, adjacent strings) and produces a `TextEntry` tree, or a syntax
/// error with its line and column.
struct TextFormatScanner {
    /// The deepest nesting of messages accepted: protobuf's own default
    /// recursion limit. Caffe definitions nest four deep; the limit keeps a
    /// hostile file from exhausting the stack of this recursive parser.
    static let maximumDepth = 100

    /// A syntax error at a position.
    struct Failure: Error {
        var line: Int
        var column: Int
        var message: String
    }

    private let scalars: [Unicode.Scalar]
    private let text: String
    private let offsets: [String.Index]
    private var position = 0
    private var line = 1
    private var column = 1

    init(_ text: String) {
        self.text = text
        var scalars: [Unicode.Scalar] = []
        var offsets: [String.Index] = []
        var index = text.unicodeScalars.startIndex
        while index < text.unicodeScalars.endIndex {
            scalars.append(text.unicodeScalars[index])
            offsets.append(index)
            index = text.unicodeScalars.index(after: index)
        }
        offsets.append(text.unicodeScalars.endIndex)
        self.scalars = scalars
        self.offsets = offsets
    }

    /// Parses the whole document.
    mutating func parse() throws(Failure) -> [TextEntry] {
        let entries = try parseEntries(closing: nil, depth: 0)
        skipTrivia()
        if position < scalars.count { throw failure("unexpected '\(scalars[position])'") }
        return entries
    }

    private mutating func parseEntries(closing: Unicode.Scalar?, depth: Int) throws(Failure) -> [TextEntry] {
        guard depth <= Self.maximumDepth else {
            throw failure("messages nest more than \(Self.maximumDepth) deep")
        }
        var entries: [TextEntry] = []
        while true {
            skipTrivia()
            guard position < scalars.count else {
                if let closing { throw failure("missing '\(closing)' before the end of the file") }
                return entries
            }
            let c = scalars[position]
            if let closing, c == closing { return entries }
            if c == "}" || c == ">" { throw failure("unexpected '\(c)'") }
            entries.append(try parseEntry(depth: depth))
            skipTrivia()
            if position < scalars.count, scalars[position] == "," || scalars[position] == ";" { advance() }
        }
    }

    private mutating func parseEntry(depth: Int) throws(Failure) -> TextEntry {
        let start = position, startLine = line, startColumn = column
        let name: String
        if scalars[position] == "[" {
            // An extension or Any type URL: [type.name]
            advance()
            var inner = ""
            while position < scalars.count, scalars[position] != "]" { inner.unicodeScalars.append(scalars[position]); advance() }
            guard position < scalars.count else { throw failure("missing ']'") }
            advance()
            name = "[\(inner)]"
        } else {
            guard isIdentifierStart(scalars[position]) else {
                throw failure("expected a field name, found '\(scalars[position])'")
            }
            name = identifier()
        }
        skipTrivia()
        var children: [TextEntry]?
        var sawColon = false
        if position < scalars.count, scalars[position] == ":" { advance(); sawColon = true; skipTrivia() }
        guard position < scalars.count else { throw failure("missing value for '\(name)'") }
        let c = scalars[position]
        if c == "{" || c == "<" {
            advance()
            let closing: Unicode.Scalar = c == "{" ? "}" : ">"
            children = try parseEntries(closing: closing, depth: depth + 1)
            advance()
        } else if !sawColon {
            throw failure("expected ':' or '{' after '\(name)'")
        } else if c == "[" {
            advance()
            skipTrivia()
            if position < scalars.count, scalars[position] == "]" {
                advance()
            } else {
                while true {
                    skipTrivia()
                    guard position < scalars.count else { throw failure("missing ']' before the end of the file") }
                    if scalars[position] == "{" || scalars[position] == "<" {
                        let closing: Unicode.Scalar = scalars[position] == "{" ? "}" : ">"
                        advance()
                        _ = try parseEntries(closing: closing, depth: depth + 1)
                        advance()
                    } else {
                        try scalar()
                    }
                    skipTrivia()
                    guard position < scalars.count else { throw failure("missing ']' before the end of the file") }
                    if scalars[position] == "," { advance(); continue }
                    if scalars[position] == "]" { advance(); break }
                    throw failure("expected ',' or ']', found '\(scalars[position])'")
                }
            }
        } else {
            try scalar()
        }
        return TextEntry(name: name, line: startLine, column: startColumn,
                         text: text[offsets[start]..<offsets[position]], children: children)
    }

    /// A number, identifier (enum value, true, inf) or one or more adjacent strings.
    private mutating func scalar() throws(Failure) {
        let c = scalars[position]
        if c == "\"" || c == "'" {
            while position < scalars.count, scalars[position] == "\"" || scalars[position] == "'" {
                try string()
                skipTrivia()
            }
            return
        }
        if c == "-" || c == "+" {
            advance()
            skipTrivia()
            guard position < scalars.count else { throw failure("missing number after '\(c)'") }
        }
        guard position < scalars.count else { throw failure("missing value") }
        let d = scalars[position]
        if isIdentifierStart(d) || d.properties.numericType != nil || d == "." {
            while position < scalars.count, isNumberOrIdentifierPart(scalars[position]) { advance() }
            return
        }
        throw failure("expected a value, found '\(d)'")
    }

    private mutating func string() throws(Failure) {
        let quote = scalars[position]
        let startLine = line, startColumn = column
        advance()
        while position < scalars.count {
            let c = scalars[position]
            if c == "\n" { break }
            if c == "\\" { advance(); if position < scalars.count { advance() }; continue }
            advance()
            if c == quote { return }
        }
        throw Failure(line: startLine, column: startColumn, message: "unterminated string")
    }

    private mutating func identifier() -> String {
        var name = ""
        while position < scalars.count, isIdentifierPart(scalars[position]) {
            name.unicodeScalars.append(scalars[position])
            advance()
        }
        return name
    }

    private mutating func skipTrivia() {
        while position < scalars.count {
            let c = scalars[position]
            if c == "#" {
                while position < scalars.count, scalars[position] != "\n" { advance() }
            } else if c == " " || c == "\t" || c == "\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" {
                advance()
            } else {
                return
            }
        }
    }

    private mutating func advance() {
        if scalars[position] == "\n" { line += 1; column = 1 } else { column += 1 }
        position += 1
    }

    private func failure(_ message: String) -> Failure {
        Failure(line: line, column: column, message: message)
    }

    private func isIdentifierStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c.isASCII && c.properties.isAlphabetic)
    }

    private func isIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierStart(c) || (c >= "0" && c <= "9")
    }

    private func isNumberOrIdentifierPart(_ c: Unicode.Scalar) -> Bool {
        isIdentifierPart(c) || c == "." || c == "-" || c == "+"
    }
}
