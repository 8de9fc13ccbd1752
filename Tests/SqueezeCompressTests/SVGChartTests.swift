import Foundation
import Testing

import SqueezeCompress

/// How many times `needle` occurs in `text`.
private func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

/// Checks the document frame every chart must have.
private func expectWellFramed(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(svg.hasPrefix("<svg"), sourceLocation: sourceLocation)
    #expect(svg.hasSuffix("</svg>\n"), sourceLocation: sourceLocation)
    #expect(occurrences(of: "<svg", in: svg) == 1, sourceLocation: sourceLocation)
    #expect(!svg.contains("nan") && !svg.contains("inf"), sourceLocation: sourceLocation)
    // Every element opened is closed: <g> pairs, and each <text> has its </text>.
    #expect(occurrences(of: "<g ", in: svg) == occurrences(of: "</g>", in: svg), sourceLocation: sourceLocation)
    #expect(occurrences(of: "<text ", in: svg) == occurrences(of: "</text>", in: svg), sourceLocation: sourceLocation)
}

@Suite("SVG charts")
struct SVGChartTests {
    @Test("a histogram grid draws one bar per non-empty bin and one tick per marker")
    func histogramCounts() {
        // conv1: values in bins 0, 1 and 9 of 10 (0.05 lands in bin 0, 1.0 in the last bin).
        let first = HistogramPanel(
            title: "conv1", values: [0, 0.05, 0.15, 0.15, 1.0, .nan], bins: 10,
            markers: [[0.1, 0.5, 0.9], [0.12, 0.48, 0.88, .infinity]], markerLabels: ["before", "after"])
        let second = HistogramPanel(title: "fc8", values: (0..<1000).map { Float($0) / 999 }, bins: 50)
        let empty = HistogramPanel(title: "empty", values: [])
        let svg = SVGChart.histograms([first, second, empty], columns: 2)

        expectWellFramed(svg)
        #expect(occurrences(of: "class=\"bar\"", in: svg) == 3 + 50)
        #expect(occurrences(of: "class=\"marker\"", in: svg) == 3 + 3)
        #expect(occurrences(of: "class=\"panel\"", in: svg) == 3)
        for text in [">conv1<", ">fc8<", ">empty<", ">before<", ">after<", ">no data<"] {
            #expect(svg.contains(text), "missing \(text)")
        }
        // Two colours for the two marker sets.
        #expect(svg.contains("stroke=\"#d62728\"") && svg.contains("stroke=\"#1f77b4\""))
        // Two columns of 240 px, two rows.
        #expect(svg.contains("width=\"480\""))
    }

    @Test("histogram axis ends show the value range")
    func histogramRange() {
        let svg = SVGChart.histograms([HistogramPanel(title: "w", values: [-0.25, 0.75], bins: 4)])
        #expect(svg.contains(">-0.25<"))
        #expect(svg.contains(">0.75<"))
        #expect(occurrences(of: "class=\"bar\"", in: svg) == 2)
        #expect(!svg.contains("class=\"legend\""))
    }

    @Test("degenerate histogram input draws without crashing")
    func histogramEdgeCases() {
        let panels = [
            HistogramPanel(title: "constant", values: [Float](repeating: 0.5, count: 10), bins: 0),
            HistogramPanel(title: "zero", values: [0, 0], bins: -3),
            HistogramPanel(title: "huge", values: [-.greatestFiniteMagnitude, .greatestFiniteMagnitude], bins: 1_000_000),
            HistogramPanel(title: "only markers", values: [], markers: [[1, 2]]),
            HistogramPanel(title: "not finite", values: [.nan, .infinity]),
        ]
        let svg = SVGChart.histograms(panels, columns: 0)
        expectWellFramed(svg)
        #expect(occurrences(of: "class=\"bar\"", in: svg) == 1 + 1 + 2)
        #expect(occurrences(of: "class=\"marker\"", in: svg) == 2)
        #expect(svg.contains(">markers 1<"))

        expectWellFramed(SVGChart.histograms([]))
    }

    @Test("titles, labels and names are escaped for XML")
    func escaping() {
        let histogram = SVGChart.histograms([
            HistogramPanel(title: "a<&>b \"q\" 'p'", values: [1, 2], markers: [[1]], markerLabels: ["x<y"])
        ])
        #expect(histogram.contains("a&lt;&amp;&gt;b &quot;q&quot; &apos;p&apos;"))
        #expect(histogram.contains("x&lt;y"))
        #expect(!histogram.contains("a<&>b"))

        let chart = SVGChart.lines(
            title: "<&>", xLabel: "density & x", yLabel: "top-1 <%>",
            series: [LineSeries(name: "conv1 <pruned>\u{0}", xs: [1], ys: [2])])
        expectWellFramed(chart)
        #expect(chart.contains(">&lt;&amp;&gt;<"))
        #expect(chart.contains(">density &amp; x<"))
        #expect(chart.contains(">top-1 &lt;%&gt;<"))
        #expect(chart.contains(">conv1 &lt;pruned&gt; <"))
    }

    @Test("a line chart draws a polyline per series and a marker per point")
    func lineCounts() {
        let series = (0..<30).map { layer in
            LineSeries(
                name: "layer \(layer)",
                points: [(x: 0.1, y: 0.2), (x: 0.5, y: 0.55 + Double(layer) / 100), (x: 1.0, y: 0.57)])
        }
        let svg = SVGChart.lines(title: "accuracy vs density", xLabel: "density", yLabel: "top-1", series: series)
        expectWellFramed(svg)
        #expect(svg.contains(">accuracy vs density<"))
        #expect(occurrences(of: "<polyline", in: svg) == 30)
        #expect(occurrences(of: "class=\"point\"", in: svg) == 90)
        for layer in [0, 9, 10, 29] { #expect(svg.contains(">layer \(layer)<")) }
        // Ten colours, then dash patterns: series 10 and 20 reuse series 0's colour, dashed.
        #expect(occurrences(of: "stroke=\"#4e79a7\"", in: svg) == 3 * 2)
        #expect(svg.contains("stroke-dasharray=\"6 3\"") && svg.contains("stroke-dasharray=\"2 2\""))
        // About five ticks per axis: 0 ... 1 in steps of 0.2 on x.
        for tick in ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] { #expect(svg.contains(">\(tick)</text>")) }
    }

    @Test("non-finite points break a line; empty charts still render")
    func lineEdgeCases() {
        let broken = LineSeries(name: "gap", xs: [0, 1, 2, 3, 4, 5], ys: [1, 2, .nan, 3, 4, .infinity])
        let lonely = LineSeries(name: "one", xs: [2, 3], ys: [5])
        var svg = SVGChart.lines(title: "t", xLabel: "x", yLabel: "y", series: [broken, lonely])
        expectWellFramed(svg)
        #expect(occurrences(of: "<polyline", in: svg) == 2)
        #expect(occurrences(of: "class=\"point\"", in: svg) == 4 + 1)
        #expect(lonely.points.count == 1)

        svg = SVGChart.lines(title: "nothing", xLabel: "x", yLabel: "y", series: [])
        expectWellFramed(svg)
        #expect(svg.contains(">no data<"))

        svg = SVGChart.lines(
            title: "extremes", xLabel: "x", yLabel: "y",
            series: [LineSeries(name: "s", xs: [-.greatestFiniteMagnitude, .greatestFiniteMagnitude, 7], ys: [1e-300, 1e300, 7])])
        expectWellFramed(svg)
        #expect(occurrences(of: "class=\"point\"", in: svg) == 3)
    }

    @Test("points round-trip through xs and ys")
    func seriesPoints() {
        var series = LineSeries(name: "s", points: [(x: 1, y: 2), (x: 3, y: 4)])
        #expect(series.xs == [1, 3] && series.ys == [2, 4])
        series.points = [(x: 5, y: 6)]
        #expect(series == LineSeries(name: "s", xs: [5], ys: [6]))
    }

    @Test("the output is deterministic")
    func deterministic() {
        let panels = [HistogramPanel(title: "a", values: [1, 2, 3], markers: [[1], [2]], markerLabels: ["b", "c"])]
        #expect(SVGChart.histograms(panels) == SVGChart.histograms(panels))
        let series = [LineSeries(name: "a", xs: [1, 2], ys: [3, 4])]
        #expect(SVGChart.lines(title: "t", xLabel: "x", yLabel: "y", series: series)
            == SVGChart.lines(title: "t", xLabel: "x", yLabel: "y", series: series))
    }
}
