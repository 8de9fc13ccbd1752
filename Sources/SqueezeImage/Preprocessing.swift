/// How an image becomes a network input: resize, crop, mean subtraction,
/// optional scaling and channel reordering, laid out planar (CHW) as `Float`.
///
/// The resize is Pillow's bilinear (see ``RGBImage/resized(width:height:)``),
/// then a `cropWidth` x `cropHeight` window is taken (centred, or at an
/// explicit offset for random-crop training), optionally mirrored
/// left-right, and each sample becomes `(value - mean[channel]) * scale`.
public struct Preprocessing: Hashable, Sendable {
    /// Order of the three planes in the output.
    public enum ChannelOrder: Hashable, Sendable {
        /// Red, green, blue.
        case rgb
        /// Blue, green, red (Caffe's convention, inherited from OpenCV).
        case bgr
    }

    /// A value per colour channel, named by colour so that it cannot be
    /// confused with the plane order.
    public struct ChannelMean: Hashable, Sendable {
        /// Subtracted from the red channel.
        public var red: Float
        /// Subtracted from the green channel.
        public var green: Float
        /// Subtracted from the blue channel.
        public var blue: Float

        /// A mean per channel.
        public init(red: Float, green: Float, blue: Float) {
            self.red = red
            self.green = green
            self.blue = blue
        }

        /// No mean subtraction.
        public static let zero = ChannelMean(red: 0, green: 0, blue: 0)
    }

    /// How the resized size follows from the image's.
    public enum ResizeRule: Hashable, Sendable {
        /// Exactly `resizeWidth` x `resizeHeight` (the aspect ratio is not kept).
        case exact
        /// The shorter side to `resizeWidth` (= `resizeHeight`), the longer one
        /// scaled to keep the aspect ratio, rounded half to even (Python's
        /// `round`) and at least the crop (TensorFlow's and torchvision's
        /// ImageNet evaluation).
        case shorterSide
    }

    /// How the resized size follows from the image's.
    public let resizeRule: ResizeRule
    /// Multiplies each channel (red, green, blue) after `scale`: per-channel
    /// standard deviations, as torchvision normalises.
    public let channelScale: ChannelMean
    /// Width the image is resized to before cropping.
    public let resizeWidth: Int
    /// Height the image is resized to before cropping.
    public let resizeHeight: Int
    /// Width of the crop, and of the output planes.
    public let cropWidth: Int
    /// Height of the crop, and of the output planes.
    public let cropHeight: Int
    /// Subtracted from each channel before scaling.
    public let mean: ChannelMean
    /// Order of the output planes.
    public let channelOrder: ChannelOrder
    /// Multiplies each mean-subtracted sample (Caffe's `transform_param.scale`).
    public let scale: Float

    /// A preprocessing configuration.
    ///
    /// - Precondition: all sizes are positive and the crop fits in the resize.
    public init(
        resizeWidth: Int = 256, resizeHeight: Int = 256, cropWidth: Int = 227, cropHeight: Int = 227,
        mean: ChannelMean = .zero, channelOrder: ChannelOrder = .bgr, scale: Float = 1,
        resizeRule: ResizeRule = .exact, channelScale: ChannelMean = ChannelMean(red: 1, green: 1, blue: 1)
    ) {
        precondition(resizeWidth > 0 && resizeHeight > 0, "resize size must be positive")
        precondition(cropWidth > 0 && cropHeight > 0, "crop size must be positive")
        precondition(
            cropWidth <= resizeWidth && cropHeight <= resizeHeight,
            "crop \(cropWidth)x\(cropHeight) does not fit in resize \(resizeWidth)x\(resizeHeight)")
        self.resizeWidth = resizeWidth
        self.resizeHeight = resizeHeight
        self.cropWidth = cropWidth
        self.cropHeight = cropHeight
        self.mean = mean
        self.channelOrder = channelOrder
        self.scale = scale
        self.resizeRule = resizeRule
        self.channelScale = channelScale
    }

    /// The size `image` is resized to before cropping.
    public func resizedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        switch resizeRule {
        case .exact:
            return (resizeWidth, resizeHeight)
        case .shorterSide:
            let target = resizeWidth
            func scaled(_ long: Int, _ short: Int) -> Int {
                max(cropWidth, cropHeight, Int((Double(long) * Double(target) / Double(max(short, 1))).rounded(.toNearestOrEven)))
            }
            return width <= height ? (target, scaled(height, width)) : (scaled(width, height), target)
        }
    }

    /// The Caffe ImageNet convention the project's references use: resize to
    /// 256x256, centre crop 227x227, BGR planes, mean B 104, G 117, R 123.
    public static let caffeImageNet = Preprocessing(
        resizeWidth: 256, resizeHeight: 256, cropWidth: 227, cropHeight: 227,
        mean: ChannelMean(red: 123, green: 117, blue: 104), channelOrder: .bgr, scale: 1)

    /// Number of floats one preprocessed image occupies: `3 * cropHeight * cropWidth`.
    public var outputCount: Int { 3 * cropHeight * cropWidth }

    /// Shape of one preprocessed image: `[3, cropHeight, cropWidth]`.
    public var outputShape: [Int] { [3, cropHeight, cropWidth] }
}

/// Where the crop window sits in the resized image.
public enum CropPosition: Hashable, Sendable {
    /// Centred; offsets are rounded down, as Caffe does ((256 - 227) / 2 = 14).
    case center
    /// Top-left corner at column `x`, row `y` of the resized image.
    case offset(x: Int, y: Int)
}

extension Preprocessing {
    /// The crop's top-left corner in the resized image.
    ///
    /// - Precondition: an explicit offset keeps the crop inside the resized image.
    public func cropOrigin(_ position: CropPosition) -> (x: Int, y: Int) {
        cropOrigin(position, resizedWidth: resizeWidth, resizedHeight: resizeHeight)
    }

    /// The crop's top-left corner in an image resized to the given size.
    public func cropOrigin(_ position: CropPosition, resizedWidth: Int, resizedHeight: Int) -> (x: Int, y: Int) {
        switch position {
        case .center:
            return ((resizedWidth - cropWidth) / 2, (resizedHeight - cropHeight) / 2)
        case .offset(let x, let y):
            precondition(
                (0...(resizedWidth - cropWidth)).contains(x) && (0...(resizedHeight - cropHeight)).contains(y),
                "crop offset (\(x), \(y)) puts a \(cropWidth)x\(cropHeight) crop outside \(resizeWidth)x\(resizeHeight)")
            return (x, y)
        }
    }

    /// A uniformly random crop position, as Caffe's training-time transform
    /// draws it (every offset from 0 to resize - crop inclusive).
    public func randomCrop(using generator: inout some RandomNumberGenerator) -> CropPosition {
        .offset(
            x: Int.random(in: 0...(resizeWidth - cropWidth), using: &generator),
            y: Int.random(in: 0...(resizeHeight - cropHeight), using: &generator))
    }
}
