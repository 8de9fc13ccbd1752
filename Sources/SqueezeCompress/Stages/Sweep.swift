import SqueezeModel
import SqueezeReconstruct
import SqueezeTrain

/// Several budgets and methods in one run: each point is a whole
/// `CompressPipeline` run (the sensitivity measured once per method), then
/// measured on an evaluation set that nothing learnt from.
public enum Sweep {
    /// One measured model.
    public struct Point: Codable, Hashable, Sendable {
        /// Output-aware or magnitude.
        public var method: String
        /// Whether the centroids were fine-tuned.
        public var finetuned: Bool
        /// The byte budget.
        public var budget: Int
        /// The file's bytes.
        public var bytes: Int
        /// Accuracy on the evaluation set.
        public var top1: Double
        public var top5: Double
        /// KL divergence and top-1 agreement with the teacher on the held-back calibration split.
        public var divergence: Double
        public var agreement: Double
    }

    /// Runs every method at every budget, reporting each point as it is measured.
    public static func run(_ teacher: Model, calibration: TrainingData, held: TrainingData, evaluation: TrainingData,
                           budgets: [Int], methods: [LayerCompressor.Method], options: CompressPipeline.Options,
                           threads: Int, observer: StageObserver = .silent, measured: (Point) -> Void = { _ in }) throws -> [Point] {
        var points: [Point] = []
        for method in methods {
            var settings = options
            settings.method = method
            settings.curves = nil
            for budget in budgets.sorted() {
                let outcome = try CompressPipeline.run(teacher, calibration: calibration, held: held, budget: .bytes(budget),
                                                       options: settings, threads: threads, observer: observer)
                settings.curves = outcome.curves
                var models = [(false, outcome.reconstructedModel, outcome.reconstructed)]
                if !outcome.finetuned.isEmpty, let best = outcome.finetuned.min(by: { $0.divergence < $1.divergence }) {
                    models.append((true, outcome.model, best))
                }
                for (tuned, model, held) in models {
                    let accuracy = try StageSupport.accuracy(of: model, on: evaluation, threads: threads, title: "evaluate",
                                                             observer: observer)
                    let point = Point(method: method.rawValue, finetuned: tuned, budget: budget, bytes: outcome.encoding.bytes.count,
                                      top1: accuracy?.top1 ?? .nan, top5: accuracy?.top5 ?? .nan,
                                      divergence: held.divergence, agreement: held.agreement)
                    points.append(point)
                    measured(point)
                }
            }
        }
        return points
    }

    /// The SVG plot: evaluation top-1 against kilobytes, one line per method
    /// (and per fine-tuning), with the teacher's top-1 as a flat line.
    public static func plot(_ points: [Point], title: String, teacherTop1: Double?) -> String {
        var series: [LineSeries] = []
        let keys = points.map { "\($0.method)\($0.finetuned ? " + fine-tuning" : "")" }
        var seen: [String] = []
        for k in keys where !seen.contains(k) { seen.append(k) }
        for key in seen {
            let mine = zip(points, keys).filter { $0.1 == key }.map(\.0).sorted { $0.bytes < $1.bytes }
            series.append(LineSeries(name: key, points: mine.map { (Double($0.bytes) / 1000, 100 * $0.top1) }))
        }
        if let teacherTop1, let lo = points.map(\.bytes).min(), let hi = points.map(\.bytes).max() {
            series.append(LineSeries(name: "uncompressed", points: [(Double(lo) / 1000, 100 * teacherTop1),
                                                                      (Double(hi) / 1000, 100 * teacherTop1)]))
        }
        return SVGChart.lines(title: title, xLabel: "kilobytes (.sqz file)", yLabel: "top-1 (%)", series: series)
    }
}
