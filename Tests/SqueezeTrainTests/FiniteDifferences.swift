import SqueezeModel
import SqueezeTrain
import Testing

/// The central-difference check both gradient tests run: every weight and
/// bias of small slots (up to 40 random entries of larger ones) against the
/// analytic gradient already in `graph`.
enum FiniteDifferences {
    /// Entries compared, entries skipped as non-smooth, and compared entries per slot.
    struct Counts {
        var checked = 0, nonSmooth = 0
        var perSlot: [String: Int] = [:]
    }

    /// Compares; `loss()` runs a forward pass and returns the loss, `base` is
    /// its value before any change; `name` labels failures.
    static func check(_ parameters: TrainableParameters, _ graph: TrainingGraph, base: Double, name: String,
                      random: inout SeededGenerator, loss: () -> Double) -> Counts {
        let epsilon: Float = 1e-3
        var counts = Counts()
        for (s, slot) in parameters.slots.enumerated() {
            let targets: [(UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>, String)] = [
                (slot.weights, graph.weightGradients[s], "weight"), (slot.bias, graph.biasGradients[s], "bias"),
            ]
            for (values, analytic, kind) in targets {
                let picks = values.count <= 40 ? Array(0..<values.count) : (0..<40).map { _ in Int(random.next() % UInt64(values.count)) }
                for j in picks {
                    let saved = values[j]
                    values[j] = saved + epsilon
                    let up = loss()
                    values[j] = saved - epsilon
                    let down = loss()
                    values[j] = saved
                    let a = Double(analytic[j])
                    let tolerance = { (n: Double) in 1e-3 + 1e-2 * max(abs(a), abs(n)) }
                    // A kink (ReLU, max-pool switch, clip bound, hard sigmoid) inside
                    // [w - eps, w + eps] makes the one-sided slopes disagree: the
                    // loss is not differentiable there, so skip the entry.
                    let right = (up - base) / Double(epsilon), left = (base - down) / Double(epsilon)
                    if abs(right - left) > tolerance(max(abs(right), abs(left))) * 2 {
                        counts.nonSmooth += 1
                        continue
                    }
                    let numeric = (up - down) / Double(2 * epsilon)
                    #expect(abs(a - numeric) <= tolerance(numeric),
                            "\(name): \(slot.name) \(kind)[\(j)] analytic \(a), numeric \(numeric)")
                    counts.checked += 1
                    counts.perSlot[slot.name, default: 0] += 1
                }
            }
        }
        return counts
    }
}
