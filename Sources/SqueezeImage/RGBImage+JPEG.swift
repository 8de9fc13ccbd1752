internal import CJPEGDecode
import Foundation

extension RGBImage {
    /// The default limit on `width * height` for decoded JPEGs (100 megapixels).
    /// Larger images are refused before any pixel memory is allocated.
    public static let defaultMaximumPixels = 100_000_000

    /// Decodes a JPEG held in memory.
    ///
    /// Grayscale JPEGs are expanded to RGB; 4-component (CMYK/YCCK) JPEGs are
    /// read as Adobe-inverted CMYK and converted as Pillow's
    /// `Image.open(f).convert("RGB")` does. Truncated data is an error.
    ///
    /// - Parameters:
    ///   - data: the JPEG file's bytes (`Data`, `[UInt8]`, ...).
    ///   - name: the file name to put in error messages, if any.
    ///   - maximumPixels: images with more pixels are refused with `ImageError.tooLarge`.
    public init(
        jpegData data: some ContiguousBytes, name: String? = nil,
        maximumPixels: Int = RGBImage.defaultMaximumPixels
    ) throws(ImageError) {
        let decoded = data.withUnsafeBytes { raw in
            Result { () throws(ImageError) in try Self.decodeJPEG(raw, name: name, maximumPixels: maximumPixels) }
        }
        self = try decoded.get()
    }

    /// Reads and decodes the JPEG file at `url`; errors name the file's path.
    /// See ``init(jpegData:name:maximumPixels:)``.
    ///
    /// The file itself is refused when larger than `maximumPixels` bytes (at
    /// least 64 MiB): JPEG compresses, so a larger file is not a photo within
    /// the pixel limit.
    public init(contentsOfJPEG url: URL, maximumPixels: Int = RGBImage.defaultMaximumPixels) throws(ImageError) {
        let bytes = try FileBytes.contents(of: url, maximumSize: min(FileBytes.maximumSize, max(maximumPixels, 64 << 20)))
        try self.init(jpegData: bytes, name: url.path, maximumPixels: maximumPixels)
    }

    /// The one place that hands raw memory to the C decoder. The header is
    /// read first so the pixel array can be allocated at its final size and
    /// decoded into directly.
    private static func decodeJPEG(
        _ raw: UnsafeRawBufferPointer, name: String?, maximumPixels: Int
    ) throws(ImageError) -> RGBImage {
        let bytes = raw.bindMemory(to: UInt8.self)  // raw bytes are always valid UInt8
        let limit = UInt64(max(0, maximumPixels))
        var result = cjpeg_result()
        guard cjpeg_read_header(bytes.baseAddress, bytes.count, limit, &result) == CJPEG_OK.rawValue else {
            throw ImageError(decoding: result, name: name)
        }
        let width = Int(result.width)
        let height = Int(result.height)
        let count = width * height * 3  // at most 3e8 by the limit check in C

        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            status = cjpeg_decode_rgb(bytes.baseAddress, bytes.count, limit, buffer.baseAddress, count, &result)
            // Array requires the reported prefix to be initialised; on failure
            // C may have written only part of it, so report nothing.
            initialized = status == CJPEG_OK.rawValue ? count : 0
        }
        guard status == CJPEG_OK.rawValue else {
            throw ImageError(decoding: result, name: name)
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }
}

extension ImageError {
    /// Maps a failed `cjpeg_result` to the matching case.
    init(decoding result: cjpeg_result, name: String?) {
        let message = withUnsafeBytes(of: result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch cjpeg_status(rawValue: UInt32(bitPattern: result.status)) {
        case CJPEG_ERROR_EMPTY: self = .empty(file: name)
        case CJPEG_ERROR_NOT_JPEG: self = .notJPEG(file: name)
        case CJPEG_ERROR_TRUNCATED: self = .truncated(file: name)
        case CJPEG_ERROR_UNSUPPORTED: self = .unsupported(file: name, detail: message)
        case CJPEG_ERROR_TOO_LARGE: self = .tooLarge(file: name, detail: message)
        case CJPEG_ERROR_OUT_OF_MEMORY: self = .outOfMemory(file: name)
        default: self = .corrupt(file: name, detail: message.isEmpty ? "decoder status \(result.status)" : message)
        }
    }
}
