import Foundation

extension Preprocessing {
    /// Preprocesses `image` into `output`, which must hold exactly
    /// ``outputCount`` floats (for instance one slot of a batch buffer).
    ///
    /// - Parameters:
    ///   - crop: where the crop window sits in the resized image.
    ///   - mirror: flip the crop left-right (training-time augmentation).
    /// - Precondition: `output.count == outputCount`; an explicit crop offset fits.
    public func preprocess(
        _ image: RGBImage, crop: CropPosition = .center, mirror: Bool = false,
        into output: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(output.count == outputCount, "output holds \(output.count) floats, need \(outputCount)")
        let resized = resizedSize(width: image.width, height: image.height)
        let origin = cropOrigin(crop, resizedWidth: resized.width, resizedHeight: resized.height)
        let horizontal = ResampleAxis(inputSize: image.width, outputSize: resized.width)
        let vertical = ResampleAxis(inputSize: image.height, outputSize: resized.height)
        let count = cropWidth * cropHeight * 3
        let window = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            image.resample(
                horizontal: horizontal, vertical: vertical,
                columns: origin.x..<(origin.x + cropWidth), rows: origin.y..<(origin.y + cropHeight),
                into: buffer)
            initialized = count
        }
        window.withUnsafeBufferPointer { writePlanes($0, mirror: mirror, into: output) }
    }

    /// Preprocesses `image` into a new array of ``outputCount`` floats.
    public func preprocess(_ image: RGBImage, crop: CropPosition = .center, mirror: Bool = false) -> [Float] {
        [Float](unsafeUninitializedCapacity: outputCount) { buffer, initialized in
            preprocess(image, crop: crop, mirror: mirror, into: buffer)
            initialized = outputCount
        }
    }

    /// Decodes the JPEG file at `url` and preprocesses it into `output`;
    /// images of more than `maximumPixels` pixels are refused before decoding.
    public func preprocess(
        jpegAt url: URL, crop: CropPosition = .center, mirror: Bool = false,
        maximumPixels: Int = RGBImage.defaultMaximumPixels, into output: UnsafeMutableBufferPointer<Float>
    ) throws(ImageError) {
        preprocess(try RGBImage(contentsOfJPEG: url, maximumPixels: maximumPixels), crop: crop, mirror: mirror, into: output)
    }

    /// Decodes the JPEG file at `url` and preprocesses it into a new array.
    public func preprocess(jpegAt url: URL, crop: CropPosition = .center, mirror: Bool = false) throws(ImageError) -> [Float] {
        preprocess(try RGBImage(contentsOfJPEG: url), crop: crop, mirror: mirror)
    }

    /// Decodes JPEG bytes and preprocesses them into `output`; `name` labels errors.
    public func preprocess(
        jpegData data: some ContiguousBytes, name: String? = nil, crop: CropPosition = .center,
        mirror: Bool = false, into output: UnsafeMutableBufferPointer<Float>
    ) throws(ImageError) {
        preprocess(try RGBImage(jpegData: data, name: name), crop: crop, mirror: mirror, into: output)
    }

    /// Interleaved RGB crop -> planar floats with mean, scale, order and mirror.
    private func writePlanes(
        _ window: UnsafeBufferPointer<UInt8>, mirror: Bool, into output: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(window.count == outputCount && output.count == outputCount)
        guard let source = window.baseAddress, let destination = output.baseAddress else { return }
        let planeSize = cropWidth * cropHeight
        let sourceChannels = channelOrder == .bgr ? [2, 1, 0] : [0, 1, 2]
        let means = [mean.red, mean.green, mean.blue]
        let scales = [channelScale.red, channelScale.green, channelScale.blue].map { $0 * scale }
        // 256-entry table per plane: same arithmetic as per sample, done once.
        var table = [Float](repeating: 0, count: 256)
        for plane in 0..<3 {
            let channel = sourceChannels[plane]
            for v in 0..<256 { table[v] = (Float(v) - means[channel]) * scales[channel] }
            table.withUnsafeBufferPointer { lookup in
                for y in 0..<cropHeight {
                    let row = source + y * cropWidth * 3 + channel
                    let out = destination + plane * planeSize + y * cropWidth
                    if mirror {
                        for x in 0..<cropWidth { out[cropWidth - 1 - x] = lookup[Int(row[x * 3])] }
                    } else {
                        for x in 0..<cropWidth { out[x] = lookup[Int(row[x * 3])] }
                    }
                }
            }
        }
    }
}
