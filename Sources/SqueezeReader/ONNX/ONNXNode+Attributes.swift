extension ONNXNode {
    /// The INT attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func int(_ name: String) throws(ReaderError) -> Int? {
        guard let attribute = attributes[name] else { return nil }
        guard case .int(let value) = attribute else { throw wrongType(name, attribute, expected: "INT") }
        return value
    }

    /// The INTS attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func ints(_ name: String) throws(ReaderError) -> [Int]? {
        guard let attribute = attributes[name] else { return nil }
        guard case .ints(let values) = attribute else { throw wrongType(name, attribute, expected: "INTS") }
        return values
    }

    /// The FLOAT attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func float(_ name: String) throws(ReaderError) -> Float? {
        guard let attribute = attributes[name] else { return nil }
        guard case .float(let value) = attribute else { throw wrongType(name, attribute, expected: "FLOAT") }
        return value
    }

    /// The FLOATS attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func floats(_ name: String) throws(ReaderError) -> [Float]? {
        guard let attribute = attributes[name] else { return nil }
        guard case .floats(let values) = attribute else { throw wrongType(name, attribute, expected: "FLOATS") }
        return values
    }

    /// The STRING attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func string(_ name: String) throws(ReaderError) -> String? {
        guard let attribute = attributes[name] else { return nil }
        guard case .string(let value) = attribute else { throw wrongType(name, attribute, expected: "STRING") }
        return value
    }

    /// The STRINGS attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func strings(_ name: String) throws(ReaderError) -> [String]? {
        guard let attribute = attributes[name] else { return nil }
        guard case .strings(let values) = attribute else { throw wrongType(name, attribute, expected: "STRINGS") }
        return values
    }

    /// The TENSOR attribute `name`, or nil when the node has none.
    ///
    /// - Throws: ``ReaderError/invalidNetwork(file:reason:)`` when it has another type.
    public func tensor(_ name: String) throws(ReaderError) -> ONNXTensor? {
        guard let attribute = attributes[name] else { return nil }
        guard case .tensor(let value) = attribute else { throw wrongType(name, attribute, expected: "TENSOR") }
        return value
    }

    /// `file: node 'Conv_3' (Conv): attribute 'group' is FLOAT, not INT`.
    private func wrongType(_ name: String, _ attribute: ONNXAttribute, expected: String) -> ReaderError {
        .invalidNetwork(file: source, reason: "node \(ONNXText.quoted(self.name)) (\(ONNXText.quoted(opType))): attribute "
                            + "\(ONNXText.quoted(name)) is \(attribute.typeName), not \(expected)")
    }
}
