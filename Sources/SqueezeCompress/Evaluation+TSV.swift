extension Evaluation {
    /// Each image's top-5 classes as tab-separated lines (`file label top5`),
    /// with a header; the same layout as the reference runtime's top-5 file.
    public var predictionsTSV: String {
        var text = "file\tlabel\ttop5\n"
        for image in images {
            text += "\(image.file)\t\(image.label)\t\(image.top5.map(String.init).joined(separator: ","))\n"
        }
        return text
    }
}
