import Foundation

/// What training minimises.
public enum LossFunction: Hashable, Sendable {
    /// Softmax cross-entropy against the labels.
    case crossEntropy
    /// Distillation: cross-entropy between the softmax of the teacher's logits and
    /// the student's, both at `temperature`, scaled by `temperature^2` (Hinton et
    /// al.) so gradients keep their size. Needs no labels.
    case distillation(temperature: Float)
}

/// The loss of a batch and its gradient with respect to the logits.
enum Loss {
    /// What one evaluation of the loss on some images produced.
    struct Outcome {
        /// The sum of the per-image losses.
        var loss: Double = 0
        /// Images whose top logit is the label.
        var correct = 0

        static func + (a: Outcome, b: Outcome) -> Outcome {
            Outcome(loss: a.loss + b.loss, correct: a.correct + b.correct)
        }
    }

    /// Softmax cross-entropy of `count` rows of `classes` logits; writes
    /// `scale * (softmax - onehot)` into `gradient`.
    static func crossEntropy(logits: UnsafePointer<Float>, labels: [Int], classes: Int, scale: Float,
                             gradient: UnsafeMutablePointer<Float>) -> Outcome {
        var outcome = Outcome()
        for (i, label) in labels.enumerated() {
            let z = logits + i * classes, g = gradient + i * classes
            let logSum = softmax(z, classes: classes, into: g)
            outcome.loss += Double(logSum - z[label])
            if argmax(z, classes: classes) == label { outcome.correct += 1 }
            g[label] -= 1
            for c in 0..<classes { g[c] *= scale }
        }
        return outcome
    }

    /// Distillation against `teacher` logits at temperature `t`; writes
    /// `scale * t * (softmax(z/t) - softmax(teacher/t))` into `gradient`.
    static func distillation(logits: UnsafePointer<Float>, teacher: UnsafePointer<Float>, labels: [Int], classes: Int,
                             temperature t: Float, scale: Float, gradient: UnsafeMutablePointer<Float>) -> Outcome {
        var outcome = Outcome()
        var student = [Float](repeating: 0, count: classes), target = [Float](repeating: 0, count: classes)
        var zt = [Float](repeating: 0, count: classes), tt = [Float](repeating: 0, count: classes)
        for (i, label) in labels.enumerated() {
            let z = logits + i * classes, y = teacher + i * classes, g = gradient + i * classes
            for c in 0..<classes { zt[c] = z[c] / t; tt[c] = y[c] / t }
            let studentLogSum = zt.withUnsafeBufferPointer { softmax($0.baseAddress!, classes: classes, into: &student) }
            let teacherLogSum = tt.withUnsafeBufferPointer { softmax($0.baseAddress!, classes: classes, into: &target) }
            // KL(teacher || student) * t^2: zero when the student matches.
            var kl: Double = 0
            for c in 0..<classes where target[c] > 0 {
                let logP = Double(tt[c] - teacherLogSum), logQ = Double(zt[c] - studentLogSum)
                kl += Double(target[c]) * (logP - logQ)
            }
            outcome.loss += kl * Double(t * t)
            // Unlabelled samples (-1) count agreement with the teacher's top-1.
            if argmax(z, classes: classes) == (label >= 0 ? label : argmax(y, classes: classes)) { outcome.correct += 1 }
            for c in 0..<classes { g[c] = scale * t * (student[c] - target[c]) }
        }
        return outcome
    }

    /// Writes the softmax of `z` into `p` and returns log(sum(exp(z))).
    @discardableResult
    static func softmax(_ z: UnsafePointer<Float>, classes: Int, into p: UnsafeMutablePointer<Float>) -> Float {
        var top = -Float.infinity
        for c in 0..<classes { top = max(top, z[c]) }
        var sum: Float = 0
        for c in 0..<classes {
            p[c] = Foundation.exp(z[c] - top)
            sum += p[c]
        }
        for c in 0..<classes { p[c] /= sum }
        return top + Foundation.log(sum)
    }

    static func softmax(_ z: UnsafePointer<Float>, classes: Int, into p: inout [Float]) -> Float {
        p.withUnsafeMutableBufferPointer { softmax(z, classes: classes, into: $0.baseAddress!) }
    }

    static func argmax(_ z: UnsafePointer<Float>, classes: Int) -> Int {
        var best = 0
        for c in 1..<classes where z[c] > z[best] { best = c }
        return best
    }
}

extension TrainingGraph {
    /// Evaluates `loss` on the logits of the last forward pass of `labels.count`
    /// images and writes its gradient, times `scale`, into `outputGradients`
    /// (ready for `backward`).
    ///
    /// - Parameters:
    ///   - teacherLogits: the teacher's logits for the same images (distillation).
    ///   - scale: usually 1 / the whole batch size, so summed gradients are means.
    /// - Returns: the summed loss and the number of images whose top class is the label.
    public func applyLoss(_ loss: LossFunction, labels: [Int], teacherLogits: UnsafePointer<Float>? = nil,
                          scale: Float) -> (loss: Double, correct: Int) {
        precondition(labels.count <= capacity, "\(labels.count) labels for a graph of \(capacity)")
        let outcome: Loss.Outcome
        switch loss {
        case .crossEntropy:
            outcome = Loss.crossEntropy(logits: outputs.baseAddress!, labels: labels, classes: classCount,
                                        scale: scale, gradient: outputGradients.baseAddress!)
        case .distillation(let temperature):
            guard let teacherLogits else { preconditionFailure("distillation needs the teacher's logits") }
            outcome = Loss.distillation(logits: outputs.baseAddress!, teacher: teacherLogits, labels: labels,
                                        classes: classCount, temperature: temperature, scale: scale,
                                        gradient: outputGradients.baseAddress!)
        }
        return (outcome.loss, outcome.correct)
    }
}
