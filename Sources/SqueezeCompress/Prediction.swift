import RealModule

/// One class a model predicts for an image.
public struct Prediction: Hashable, Sendable, Codable {
    /// The class index (line number - 1 in `synsets.txt`).
    public var classIndex: Int
    /// The softmax probability.
    public var probability: Float
    /// The raw score the network gave (the logit, or the probability for a
    /// network that ends in softmax).
    public var score: Float

    /// A prediction.
    public init(classIndex: Int, probability: Float, score: Float) {
        self.classIndex = classIndex
        self.probability = probability
        self.score = score
    }
}

/// Turning a network's output row into ranked predictions.
public enum Ranking {
    /// Softmax of `scores`, computed stably in double precision.
    public static func softmax<C: Collection<Float>>(_ scores: C) -> [Float] {
        let top = scores.max() ?? 0
        let exps = scores.map { Double.exp(Double($0 - top)) }
        let sum = exps.reduce(0, +)
        return exps.map { Float($0 / sum) }
    }

    /// The `k` best classes of one output row, best first; ties go to the lower
    /// class index so rankings are deterministic.
    ///
    /// - Parameter isProbability: whether `scores` already are probabilities
    ///   (the network ends in softmax); otherwise softmax is applied.
    public static func top<C: Collection<Float>>(_ k: Int, of scores: C, isProbability: Bool = false) -> [Prediction] {
        let values = Array(scores)
        let probabilities = isProbability ? values : softmax(values)
        let order = values.indices.sorted { values[$0] > values[$1] || (values[$0] == values[$1] && $0 < $1) }
        return order.prefix(max(0, k)).map {
            Prediction(classIndex: $0, probability: probabilities[$0], score: values[$0])
        }
    }
}
