/// One `name: value` or `name { ... }` entry of a protobuf text-format document,
/// with where it starts. The reader uses the tree to report errors by line and
/// column, which swift-protobuf's decoder does not.
struct TextEntry: Sendable {
    /// The field name.
    var name: String
    /// 1-based line of the field name.
    var line: Int
    /// 1-based column of the field name.
    var column: Int
    /// The entry's source text, from the name to the end of its value.
    var text: Substring
    /// The nested entries, or nil for a scalar value.
    var children: [TextEntry]?
}
