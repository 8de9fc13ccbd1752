import Foundation

/// One small histogram in a grid of ``SVGChart/histograms(_:columns:)``, such as
/// the weights of one layer, with optional marker sets (for instance the
/// centroids before and after fine-tuning).
public struct HistogramPanel: Hashable, Sendable {
    /// The panel's heading, such as the layer name.
    public var title: String
    /// The values to bin; non-finite values are left out.
    public var values: [Float]
    /// The number of equal-width bins (clamped to 1...10 000).
    public var bins: Int = 100
    /// Sets of positions drawn as ticks under the x axis, one row and colour per set.
    public var markers: [[Float]]
    /// The legend name of each marker set, index for index.
    public var markerLabels: [String]

    /// A panel; `markers[i]` is named by `markerLabels[i]` in the legend.
    public init(title: String, values: [Float], bins: Int = 100, markers: [[Float]] = [], markerLabels: [String] = []) {
        self.title = title
        self.values = values
        self.bins = bins
        self.markers = markers
        self.markerLabels = markerLabels
    }
}

/// One named line of ``SVGChart/lines(title:xLabel:yLabel:series:)``.
///
/// Coordinates are kept as two arrays so the type is `Hashable` and `Sendable`;
/// if their counts differ, the extra coordinates are ignored.
public struct LineSeries: Hashable, Sendable {
    /// The legend entry.
    public var name: String
    /// The x coordinate of each point, in drawing order.
    public var xs: [Double]
    /// The y coordinate of each point.
    public var ys: [Double]

    /// A series from separate coordinate arrays.
    public init(name: String, xs: [Double], ys: [Double]) {
        self.name = name
        self.xs = xs
        self.ys = ys
    }

    /// A series from points, drawn in the order given.
    public init(name: String, points: [(x: Double, y: Double)]) {
        self.init(name: name, xs: points.map(\.x), ys: points.map(\.y))
    }

    /// The points, pairing `xs` and `ys`.
    public var points: [(x: Double, y: Double)] {
        get { zip(xs, ys).map { (x: $0, y: $1) } }
        set {
            xs = newValue.map(\.x)
            ys = newValue.map(\.y)
        }
    }
}

/// Minimal SVG charts for reports, written as text with no dependencies.
///
/// Every function returns a complete standalone document (`<svg ...>` to
/// `</svg>` and a newline). Bad numbers (NaN, infinities, empty inputs) are
/// skipped or drawn as an empty chart, never a crash.
public enum SVGChart {
    /// A grid of small histograms, one panel per entry of `panels`, `columns`
    /// panels per row. Counts are linear; empty bins are not drawn. Marker sets
    /// appear as coloured ticks under each x axis, with a shared legend on top.
    public static func histograms(_ panels: [HistogramPanel], columns: Int = 4) -> String {
        let columns = max(1, min(columns, panels.count))
        let markerSets = panels.map(\.markers.count).max() ?? 0
        let legendHeight = markerSets > 0 ? 24.0 : 0
        let layout = HistogramLayout(markerSets: markerSets)
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * layout.width
        let height = legendHeight + Double(max(rows, 1)) * layout.height

        var svg = SVGWriter(width: width, height: height)
        if panels.isEmpty {
            svg.text("no data", x: width / 2, y: height / 2, anchor: "middle", size: 12, fill: "#666666")
        }
        if markerSets > 0 {
            var x = 10.0
            for set in 0..<markerSets {
                let label = panels.lazy.compactMap { set < $0.markerLabels.count ? $0.markerLabels[set] : nil }
                    .first { !$0.isEmpty } ?? "markers \(set + 1)"
                let colour = markerColours[set % markerColours.count]
                svg.element("line", ["class": "legend", "x1": x, "y1": 8, "x2": x, "y2": 18, "stroke": colour, "stroke-width": 2])
                svg.text(label, x: x + 6, y: 17, size: 11)
                x += 24 + Double(label.count) * 6.5
            }
        }
        for (index, panel) in panels.enumerated() {
            let originX = Double(index % columns) * layout.width
            let originY = legendHeight + Double(index / columns) * layout.height
            svg.open("g", ["transform": "translate(\(format(originX)),\(format(originY)))"])
            drawHistogram(panel, layout: layout, into: &svg)
            svg.close("g")
        }
        return svg.finish()
    }

    /// A line chart with a marker at every point, about five ticks per axis and a
    /// legend on the right. Series take one of ten colours and, beyond ten series,
    /// a dash pattern, so up to 30 series stay distinguishable. Non-finite points
    /// break a line.
    public static func lines(title: String, xLabel: String, yLabel: String, series: [LineSeries]) -> String {
        let left = 70.0, top = 40.0, plotWidth = 480.0, plotHeight = 340.0
        let legendX = left + plotWidth + 24, legendRow = 16.0
        let width = legendX + 230
        let height = max(top + plotHeight + 60, top + legendRow * Double(series.count) + 20)

        let finite = series.flatMap { s in zip(s.xs, s.ys).filter { $0.0.isFinite && $0.1.isFinite } }
        let xAxis = Axis(values: finite.map(\.0))
        let yAxis = Axis(values: finite.map(\.1))
        func px(_ x: Double) -> Double { left + xAxis.fraction(x) * plotWidth }
        func py(_ y: Double) -> Double { top + plotHeight - yAxis.fraction(y) * plotHeight }

        var svg = SVGWriter(width: width, height: height)
        svg.text(title, x: left + plotWidth / 2, y: 22, anchor: "middle", size: 15, weight: "bold")

        for tick in xAxis.ticks {
            let x = px(tick)
            svg.element("line", ["class": "grid", "x1": x, "y1": top, "x2": x, "y2": top + plotHeight, "stroke": "#e5e5e5"])
            svg.text(xAxis.label(tick), x: x, y: top + plotHeight + 16, anchor: "middle", size: 11)
        }
        for tick in yAxis.ticks {
            let y = py(tick)
            svg.element("line", ["class": "grid", "x1": left, "y1": y, "x2": left + plotWidth, "y2": y, "stroke": "#e5e5e5"])
            svg.text(yAxis.label(tick), x: left - 6, y: y + 4, anchor: "end", size: 11)
        }
        svg.element("rect", ["class": "frame", "x": left, "y": top, "width": plotWidth, "height": plotHeight, "fill": "none", "stroke": "#333333"])
        svg.text(xLabel, x: left + plotWidth / 2, y: top + plotHeight + 40, anchor: "middle", size: 12)
        let yLabelX = 18.0, yLabelY = top + plotHeight / 2
        svg.text(
            yLabel, x: yLabelX, y: yLabelY, anchor: "middle", size: 12,
            transform: "rotate(-90 \(format(yLabelX)) \(format(yLabelY)))")

        for (index, line) in series.enumerated() {
            let colour = palette[index % palette.count]
            let dash = dashPatterns[(index / palette.count) % dashPatterns.count]
            var stroke: [String: SVGWriter.Value] = ["fill": "none", "stroke": colour, "stroke-width": 1.5]
            if !dash.isEmpty { stroke["stroke-dasharray"] = dash }

            // Split at non-finite points so a gap shows rather than a jump.
            var segments: [[(Double, Double)]] = [[]]
            for (x, y) in zip(line.xs, line.ys) {
                if x.isFinite && y.isFinite {
                    segments[segments.count - 1].append((px(x), py(y)))
                } else if !(segments.last?.isEmpty ?? true) {
                    segments.append([])
                }
            }
            for segment in segments where segment.count >= 2 {
                var attributes = stroke
                attributes["class"] = "series"
                attributes["points"] = (segment.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " "))
                svg.element("polyline", attributes)
            }
            for (x, y) in segments.joined() {
                svg.element("circle", ["class": "point", "cx": x, "cy": y, "r": 2.5, "fill": colour])
            }

            let rowY = top + Double(index) * legendRow + 6
            var sample = stroke
            sample["class"] = "legend"
            sample["x1"] = legendX
            sample["y1"] = rowY
            sample["x2"] = legendX + 22
            sample["y2"] = rowY
            svg.element("line", sample)
            svg.element("circle", ["class": "legend", "cx": legendX + 11, "cy": rowY, "r": 2.5, "fill": colour])
            svg.text(line.name, x: legendX + 28, y: rowY + 4, size: 11)
        }
        if finite.isEmpty {
            svg.text("no data", x: left + plotWidth / 2, y: top + plotHeight / 2, anchor: "middle", size: 12, fill: "#666666")
        }
        return svg.finish()
    }

    // MARK: Histogram drawing

    /// Panel geometry; marker rows add height.
    private struct HistogramLayout {
        let width = 240.0
        let plotLeft = 44.0
        let plotRight = 228.0
        let plotTop = 28.0
        let axisY = 128.0
        let markerRow = 7.0
        let markerSets: Int

        var plotWidth: Double { plotRight - plotLeft }
        var plotHeight: Double { axisY - plotTop }
        var labelY: Double { axisY + 4 + markerRow * Double(markerSets) + 10 }
        var height: Double { labelY + 14 }
    }

    private static func drawHistogram(_ panel: HistogramPanel, layout: HistogramLayout, into svg: inout SVGWriter) {
        svg.element("rect", ["class": "panel", "x": 2, "y": 2, "width": layout.width - 4, "height": layout.height - 4, "fill": "#fafafa", "stroke": "#dddddd"])
        svg.text(panel.title, x: layout.width / 2, y: 18, anchor: "middle", size: 12, weight: "bold")

        let values = panel.values.lazy.filter(\.isFinite).map(Double.init)
        let markers = panel.markers.map { $0.filter(\.isFinite).map(Double.init) }
        var lo = values.min() ?? .infinity, hi = values.max() ?? -.infinity
        for set in markers {
            lo = min(lo, set.min() ?? lo)
            hi = max(hi, set.max() ?? hi)
        }
        guard lo <= hi else {
            svg.text("no data", x: layout.width / 2, y: layout.axisY - layout.plotHeight / 2, anchor: "middle", size: 11, fill: "#666666")
            return
        }
        if lo == hi {
            let pad = padding(around: lo)
            lo -= pad
            hi += pad
        }
        // Halves keep the span finite even for ±greatestFiniteMagnitude.
        let halfSpan = hi / 2 - lo / 2
        func fraction(_ v: Double) -> Double { (v / 2 - lo / 2) / halfSpan }
        func px(_ v: Double) -> Double { layout.plotLeft + fraction(v) * layout.plotWidth }

        let bins = min(max(panel.bins, 1), 10_000)
        var counts = [Int](repeating: 0, count: bins)
        for v in values {
            let position = fraction(v) * Double(bins)
            counts[position.isFinite ? min(max(Int(position), 0), bins - 1) : 0] += 1
        }
        let maxCount = counts.max() ?? 0
        let binWidth = layout.plotWidth / Double(bins)
        for (bin, count) in counts.enumerated() where count > 0 {
            // At least half a pixel, so a lone value in a big layer stays visible.
            let barHeight = max(Double(count) / Double(maxCount) * layout.plotHeight, 0.5)
            svg.element("rect", [
                "class": "bar", "x": layout.plotLeft + Double(bin) * binWidth, "y": layout.axisY - barHeight,
                "width": binWidth, "height": barHeight, "fill": "#8c9cb0",
            ])
        }

        svg.element("line", ["class": "axis", "x1": layout.plotLeft, "y1": layout.axisY, "x2": layout.plotRight, "y2": layout.axisY, "stroke": "#333333"])
        svg.element("line", ["class": "axis", "x1": layout.plotLeft, "y1": layout.plotTop, "x2": layout.plotLeft, "y2": layout.axisY, "stroke": "#333333"])
        svg.text(String(maxCount), x: layout.plotLeft - 4, y: layout.plotTop + 8, anchor: "end", size: 9)
        svg.text("0", x: layout.plotLeft - 4, y: layout.axisY, anchor: "end", size: 9)
        svg.text(shortNumber(lo), x: layout.plotLeft, y: layout.labelY, anchor: "start", size: 9)
        svg.text(shortNumber(hi), x: layout.plotRight, y: layout.labelY, anchor: "end", size: 9)
        if lo < 0 && hi > 0 {
            let zero = px(0)
            svg.element("line", ["class": "axis", "x1": zero, "y1": layout.axisY, "x2": zero, "y2": layout.axisY + 3, "stroke": "#333333"])
            if zero - layout.plotLeft > 30 && layout.plotRight - zero > 30 {
                svg.text("0", x: zero, y: layout.labelY, anchor: "middle", size: 9)
            }
        }

        for (set, positions) in markers.enumerated() {
            let colour = markerColours[set % markerColours.count]
            let y = layout.axisY + 3 + layout.markerRow * Double(set)
            for v in positions {
                let x = px(v)
                svg.element("line", ["class": "marker", "x1": x, "y1": y, "x2": x, "y2": y + layout.markerRow - 1, "stroke": colour, "stroke-width": 1])
            }
        }
    }

    // MARK: Styling and numbers

    /// Tableau 10: distinguishable, and readable for the common colour deficiencies.
    private static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
        "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]
    private static let dashPatterns = ["", "6 3", "2 2"]
    private static let markerColours = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"]

    /// Half the width of the range drawn around a single repeated value.
    static func padding(around value: Double) -> Double {
        let pad = abs(value) * 0.01
        // Zero, or so small that adding 1% changes nothing: use a unit range.
        return value + pad > value && value - pad < value ? pad : 0.5
    }

    /// Three significant digits, for axis ends.
    static func shortNumber(_ value: Double) -> String {
        let text = String(format: "%.3g", value)
        return text == "-0" ? "0" : text
    }

    /// A coordinate with at most two decimals; clamped so a degenerate scale
    /// cannot print "inf" or overflow.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (min(max(value, -1e7), 1e7) * 100).rounded() / 100
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(rounded)
    }

    /// Text for XML content and attribute values; control characters XML 1.0
    /// forbids become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let forbidden = scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF
                out.unicodeScalars.append(forbidden ? " " : scalar)
            }
        }
        return out
    }

    /// A linear axis over some values with about five "nice" ticks (1, 2 or 5
    /// times a power of ten); the range is widened to whole ticks.
    struct Axis {
        let lo: Double
        let hi: Double
        let step: Double

        init(values: [Double]) {
            var lo = values.min() ?? 0, hi = values.max() ?? 1
            if lo == hi {
                let pad = SVGChart.padding(around: lo)
                lo -= pad
                hi += pad
            }
            // Halving first keeps hi - lo finite for values near ±Double.greatestFiniteMagnitude.
            let rough = (hi / 2 - lo / 2) / 2.5
            let magnitude = pow(10, floor(log10(rough)))
            let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
            let snappedLo = floor(lo / step) * step, snappedHi = ceil(hi / step) * step
            if step.isFinite && step > 0 && snappedLo.isFinite && snappedHi.isFinite && snappedHi > snappedLo {
                (self.lo, self.hi, self.step) = (snappedLo, snappedHi, step)
            } else {
                // No usable step: label just the two ends.
                (self.lo, self.hi, self.step) = (lo, hi, 0)
            }
        }

        /// Where `value` falls, 0 at `lo` and 1 at `hi`.
        func fraction(_ value: Double) -> Double { (value / 2 - lo / 2) / (hi / 2 - lo / 2) }

        /// The tick positions, `lo` to `hi` inclusive (at most a dozen).
        var ticks: [Double] {
            guard step > 0 else { return [lo, hi] }
            let intervals = (hi / 2 - lo / 2) / (step / 2)
            guard intervals.isFinite, intervals >= 1, intervals <= 12 else { return [lo, hi] }
            return (0...Int(intervals.rounded())).map { lo + Double($0) * step }
        }

        /// A tick label with as many decimals as the step needs.
        func label(_ value: Double) -> String {
            if step <= 0 || abs(value) >= 1e6 || (abs(value) < 1e-4 && abs(value) > step / 1e3) {
                return SVGChart.shortNumber(value)
            }
            let decimals = min(max(0, -Int(floor(log10(step)))), 8)
            let text = String(format: "%.\(decimals)f", abs(value) < step / 1e6 ? 0 : value)
            return text == "-0" ? "0" : text
        }
    }
}

/// An attribute value: text (escaped) or a number (formatted as a coordinate).
private protocol SVGAttributeValue {
    var rendered: String { get }
}

extension String: SVGAttributeValue {
    var rendered: String { SVGChart.escape(self) }
}

extension Double: SVGAttributeValue {
    var rendered: String { SVGChart.format(self) }
}

extension Int: SVGAttributeValue {
    var rendered: String { String(self) }
}

/// Accumulates SVG markup with escaped text and formatted numbers.
private struct SVGWriter {
    typealias Value = any SVGAttributeValue

    private var out: String

    init(width: Double, height: Double) {
        let w = SVGChart.format(width), h = SVGChart.format(height)
        out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\">\n"
        out += "<rect class=\"background\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    }

    private func attributes(_ attributes: [String: Value]) -> String {
        // Sorted so the output is byte-for-byte reproducible.
        attributes.sorted { $0.key < $1.key }.map { " \($0.key)=\"\($0.value.rendered)\"" }.joined()
    }

    mutating func element(_ name: String, _ attributes: [String: Value]) {
        out += "<\(name)\(self.attributes(attributes))/>\n"
    }

    mutating func open(_ name: String, _ attributes: [String: Value]) {
        out += "<\(name)\(self.attributes(attributes))>\n"
    }

    mutating func close(_ name: String) {
        out += "</\(name)>\n"
    }

    mutating func text(
        _ content: String, x: Double, y: Double, anchor: String = "start", size: Double, weight: String? = nil,
        fill: String = "#222222", transform: String? = nil
    ) {
        var attributes: [String: Value] = ["x": x, "y": y, "font-size": size, "text-anchor": anchor, "fill": fill]
        if let weight { attributes["font-weight"] = weight }
        if let transform { attributes["transform"] = transform }
        // Newlines in a title would be collapsed by renderers anyway; keep one line.
        let oneLine = content.map { $0.isNewline ? " " : $0 }
        out += "<text\(self.attributes(attributes))>\(SVGChart.escape(String(oneLine)))</text>\n"
    }

    func finish() -> String {
        out + "</svg>\n"
    }
}
