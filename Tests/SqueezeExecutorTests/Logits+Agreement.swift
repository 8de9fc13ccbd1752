import Testing

/// Expects `output` to agree with `reference` as the executor acceptance asks:
/// every logit within 1e-3 of the largest reference magnitude, and the same top-1.
func expectAgreement(_ output: [Float], _ reference: [Float], sourceLocation: SourceLocation = #_sourceLocation) {
    let scale = reference.map(abs).max() ?? 1
    let worst = zip(output, reference).map { abs($0 - $1) }.max() ?? .infinity
    #expect(worst <= 1e-3 * scale, "max |difference| \(worst), largest |logit| \(scale)", sourceLocation: sourceLocation)
    #expect(output.indices.max { output[$0] < output[$1] } == reference.indices.max { reference[$0] < reference[$1] },
            sourceLocation: sourceLocation)
}
