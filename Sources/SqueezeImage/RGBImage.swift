/// An 8-bit RGB image: `height` rows of `width` pixels, each pixel three bytes
/// (red, green, blue), rows stored top to bottom without padding.
public struct RGBImage: Hashable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved RGB samples, `width * height * 3` of them; the pixel at
    /// (`x`, `y`) starts at `(y * width + x) * 3`.
    public let pixels: [UInt8]

    /// Wraps interleaved RGB samples.
    ///
    /// - Precondition: `width` and `height` are positive and
    ///   `pixels.count == width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "RGBImage needs a positive size, got \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "RGBImage \(width)x\(height) needs \(width * height * 3) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The pixel at column `x`, row `y`.
    ///
    /// - Precondition: `0 <= x < width` and `0 <= y < height`.
    public subscript(x: Int, y: Int) -> (red: UInt8, green: UInt8, blue: UInt8) {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "pixel (\(x), \(y)) outside \(width)x\(height)")
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }
}
