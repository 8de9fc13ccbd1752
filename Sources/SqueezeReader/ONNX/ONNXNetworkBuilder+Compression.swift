import SqueezeModel

/// The compression side tensors of an ONNX file (``ONNXWriter``): a weight
/// initializer `W` may come with `W_mask` (1 where kept), `W_codebook`
/// (FLOAT `[K]`) and `W_codes` (one code per weight; -1 or K where pruned).
/// The layer whose node reads `W` as its weights (Conv, Gemm, MatMul,
/// BatchNormalization) then gets sparse or shared weights instead of dense ones.
///
/// The weights in the file are the truth (they may have been fine-tuned
/// elsewhere):
/// - pruned positions (mask 0, or a pruned code) must hold 0: a non-zero
///   weight there is refused, naming the layer and the position;
/// - sharing is kept exactly when every kept weight equals its codebook
///   entry; else, when every kept weight equals some codebook entry, it is
///   mapped to that entry (the codebook stays); else the codebook is re-fit:
///   each entry becomes the mean of the weights whose code it is (their common
///   value when they agree), the codes stay, entries no weight uses keep their
///   value. docs/ONNX.md states the rule.
extension ONNXNetworkBuilder {
    /// `model` with the side tensors of `onnx` applied (unchanged when it has none).
    static func restoringCompression(_ model: Model, from onnx: ONNXModel, source: String) throws(ReaderError) -> Model {
        let suffixes = [ONNXWriter.maskSuffix, ONNXWriter.codebookSuffix, ONNXWriter.codesSuffix]
        // Weight initializer -> which side tensors it has.
        var sides: [String: (mask: ONNXTensor?, codebook: ONNXTensor?, codes: ONNXTensor?)] = [:]
        for name in onnx.initializerNames {
            for suffix in suffixes where name.hasSuffix(suffix) {
                let base = String(name.dropLast(suffix.count))
                guard onnx.initializers[base] != nil, let t = onnx.initializers[name] else { continue }
                var entry = sides[base] ?? (nil, nil, nil)
                switch suffix {
                case ONNXWriter.maskSuffix: entry.mask = t
                case ONNXWriter.codebookSuffix: entry.codebook = t
                default: entry.codes = t
                }
                sides[base] = entry
            }
        }
        guard !sides.isEmpty else { return model }

        var result = model
        for base in sides.keys.sorted() {
            let side = sides[base]!
            func fail(_ reason: String) -> ReaderError {
                .invalidWeights(file: source, reason: "compression side tensors of \(ONNXText.quoted(base)): \(reason)")
            }
            let readers = onnx.nodes.filter { node in
                ["Conv", "Gemm", "MatMul", "BatchNormalization"].contains(node.opType) && node.inputs.count > 1 && node.inputs[1] == base
            }
            // Initializers that only look like side tensors (no layer reads the base as its weights) are left alone.
            guard !readers.isEmpty else { continue }
            guard readers.count == 1, let node = readers.first else { throw fail("\(readers.count) nodes read it as their weights") }
            guard onnx.nodes.filter({ $0.name == node.name }).count == 1,
                  let layer = model.network.layer(named: node.name), layer.kind.hasWeights,
                  let parameters = model.parameters[layer.name] else {
                throw fail("node \(ONNXText.quoted(node.name)) did not become a layer of its own at import "
                           + "(a BatchNormalization folded into the layer before it)")
            }
            guard (side.codebook == nil) == (side.codes == nil) else {
                throw fail("a codebook needs codes and codes need a codebook (\(side.codebook == nil ? "no" : "a") "
                           + "\(ONNXWriter.codebookSuffix), \(side.codes == nil ? "no" : "a") \(ONNXWriter.codesSuffix))")
            }
            let file = onnx.initializers[base]!
            let shape = parameters.weights.shape
            // Gemm with transB=0 and MatMul keep [in, out]; the layer has [out, in].
            let transB = try node.int("transB") ?? 0
            let transposed = node.opType == "MatMul" || (node.opType == "Gemm" && transB == 0)
            func layerOrder(_ t: ONNXTensor, _ what: String) throws(ReaderError) -> [Int64] {
                guard t.dimensions == file.dimensions else {
                    throw fail("\(what) has shape \(t.dimensions), the weights \(file.dimensions)")
                }
                guard case .int64(let v) = t.values else { throw fail("\(what) must be an integer tensor, not \(t.dataType)") }
                guard transposed, file.dimensions.count == 2 else { return v }
                let k = file.dimensions[0], n = file.dimensions[1]
                var out = [Int64](repeating: 0, count: v.count)
                for o in 0..<n { for i in 0..<k { out[o * k + i] = v[i * n + o] } }
                return out
            }
            let weights = parameters.weights.denseValues()
            guard weights.count == file.values.count else { throw fail("the layer has \(weights.count) weights, the file \(file.values.count)") }

            // Kept positions: from the mask, else from the codes.
            var kept: [Bool]?
            if let mask = side.mask {
                let m = try layerOrder(mask, "the mask")
                if let bad = m.first(where: { $0 != 0 && $0 != 1 }) { throw fail("the mask holds \(bad); only 0 and 1 are allowed") }
                kept = m.map { $0 == 1 }
            }
            var codes: [Int64]?
            var codebook: [Float] = []
            if let codebookTensor = side.codebook, let codesTensor = side.codes {
                codebook = codebookTensor.values.floats
                guard (1...(1 << 16)).contains(codebook.count), codebookTensor.dimensions.count == 1 else {
                    throw fail("the codebook must be 1-D with 1 to 65,536 entries, it is \(codebookTensor.dimensions)")
                }
                guard codebook.allSatisfy(\.isFinite) else { throw fail("a codebook entry is not finite") }
                let c = try layerOrder(codesTensor, "the codes")
                let k = Int64(codebook.count)
                if let bad = c.first(where: { $0 < -1 || $0 > k }) {
                    throw fail("code \(bad) is outside the \(k)-entry codebook (-1 or \(k) mark a pruned weight)")
                }
                let codeKept = c.map { $0 >= 0 && $0 < k }
                if let kept {
                    if let at = kept.indices.first(where: { kept[$0] != codeKept[$0] }) {
                        throw fail("the mask and the codes disagree at weight \(at) (mask \(kept[at] ? 1 : 0), code \(c[at]))")
                    }
                } else if codeKept.contains(false) {
                    kept = codeKept
                }
                codes = c
            }

            // Pruned positions hold zero.
            if let kept {
                var offenders = 0, first: Int?
                for i in weights.indices where !kept[i] && weights[i] != 0 {
                    offenders += 1
                    if first == nil { first = i }
                }
                if let first {
                    throw fail("layer \(ONNXText.quoted(layer.name)) has \(offenders) non-zero weight(s) where it is pruned "
                               + "(the first at flat index \(first), \(weights[first])); multiply the weights by the mask "
                               + "after every optimizer step")
                }
            }
            let positions = kept.map { k in k.indices.filter { k[$0] }.map { UInt32($0) } }

            let storage: WeightTensor.Storage
            if let codes {
                // A weight sharing must see the file's weights as they are (not scaled at import).
                let fileWeights = layerOrderFloats(file, transposed: transposed)
                guard zip(weights, fileWeights).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
                    throw fail("the weights of layer \(ONNXText.quoted(layer.name)) were scaled at import (a folded "
                               + "BatchNormalization or Gemm alpha), so their sharing cannot be kept")
                }
                let indices = positions.map { $0.map(Int.init) } ?? Array(weights.indices)
                let (book, assigned) = shared(weights: indices.map { weights[$0] }, codes: indices.map { Int(codes[$0]) },
                                              codebook: codebook)
                storage = .shared(codebook: book, codes: assigned.map { UInt16($0) }, positions: positions)
            } else if let positions {
                storage = .sparse(positions: positions, values: positions.map { weights[Int($0)] })
            } else {
                continue  // A mask of all ones: dense.
            }
            result.parameters[layer.name] = LayerParameters(weights: WeightTensor(shape: shape, storage: storage),
                                                            bias: parameters.bias)
        }
        do { try result.validate() } catch { throw .invalidNetwork(file: source, reason: error.description) }
        return result
    }

    /// The file's weight values in the layer's `[out, in]` order.
    private static func layerOrderFloats(_ t: ONNXTensor, transposed: Bool) -> [Float] {
        let v = t.values.floats
        guard transposed, t.dimensions.count == 2 else { return v }
        let k = t.dimensions[0], n = t.dimensions[1]
        var out = [Float](repeating: 0, count: v.count)
        for o in 0..<n { for i in 0..<k { out[o * k + i] = v[i * n + o] } }
        return out
    }

    /// The codebook and codes of kept weights `weights` whose codes in the
    /// file are `codes`, by the rule of the extension's comment.
    static func shared(weights: [Float], codes: [Int], codebook: [Float]) -> (codebook: [Float], codes: [Int]) {
        // 1. Every weight is its entry: nothing changed.
        if zip(weights, codes).allSatisfy({ $0.bitPattern == codebook[$1].bitPattern }) { return (codebook, codes) }
        // 2. Every weight is some entry: map it there (its own entry first).
        var entryOf: [UInt32: Int] = [:]
        for (k, v) in codebook.enumerated().reversed() { entryOf[v.bitPattern] = k }
        if weights.allSatisfy({ entryOf[$0.bitPattern] != nil }) {
            return (codebook, zip(weights, codes).map { w, c in
                codebook[c].bitPattern == w.bitPattern ? c : entryOf[w.bitPattern]!
            })
        }
        // 3. Re-fit: each entry is the mean of its weights (exactly their value when they agree).
        var sums = [Double](repeating: 0, count: codebook.count)
        var counts = [Int](repeating: 0, count: codebook.count)
        var common = [Float?](repeating: nil, count: codebook.count)
        var agree = [Bool](repeating: true, count: codebook.count)
        for (w, c) in zip(weights, codes) {
            sums[c] += Double(w)
            counts[c] += 1
            if let v = common[c] { if v.bitPattern != w.bitPattern { agree[c] = false } } else { common[c] = w }
        }
        var book = codebook
        for k in book.indices where counts[k] > 0 {
            book[k] = agree[k] ? common[k]! : Float(sums[k] / Double(counts[k]))
        }
        return (book, codes)
    }
}
