// CJPEGDecode: decode a JPEG held in memory to 8-bit interleaved RGB.
//
// libjpeg reports fatal errors through a callback that must not return; by
// default it calls exit(). This wrapper installs handlers that longjmp back
// into the C function that called libjpeg, so no libjpeg error ever unwinds
// through (or terminates) the Swift caller. The header exposes no libjpeg types.
#ifndef CJPEGDECODE_H
#define CJPEGDECODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Outcome of a call. Every failure also fills `cjpeg_result.message`.
typedef enum cjpeg_status {
    CJPEG_OK = 0,
    /// The buffer is empty.
    CJPEG_ERROR_EMPTY = 1,
    /// The buffer does not start with a JPEG signature (FF D8 FF).
    CJPEG_ERROR_NOT_JPEG = 2,
    /// The data ends before the image does (libjpeg's "premature end of JPEG file").
    CJPEG_ERROR_TRUNCATED = 3,
    /// A JPEG this decoder does not handle (component count, colour space,
    /// sample precision, coding process).
    CJPEG_ERROR_UNSUPPORTED = 4,
    /// The image has more pixels than the caller's limit (or than libjpeg supports).
    CJPEG_ERROR_TOO_LARGE = 5,
    /// libjpeg could not allocate memory.
    CJPEG_ERROR_OUT_OF_MEMORY = 6,
    /// Any other fatal libjpeg error: the data is corrupt.
    CJPEG_ERROR_CORRUPT = 7,
    /// Bad arguments (null pointer, output buffer of the wrong size).
    CJPEG_ERROR_INVALID_ARGUMENT = 8,
} cjpeg_status;

/// Colour space of the coded data, as libjpeg detected it.
typedef enum cjpeg_color_space {
    CJPEG_COLOR_UNKNOWN = 0,
    CJPEG_COLOR_GRAYSCALE = 1,
    CJPEG_COLOR_RGB = 2,
    CJPEG_COLOR_YCBCR = 3,
    CJPEG_COLOR_CMYK = 4,
    CJPEG_COLOR_YCCK = 5,
} cjpeg_color_space;

/// Capacity of `cjpeg_result.message`, including the terminating NUL.
#define CJPEG_MESSAGE_CAPACITY 256

/// Default pixel limit (width * height) callers may pass as `max_pixels`.
#define CJPEG_DEFAULT_MAX_PIXELS ((uint64_t)100000000u)

/// Filled by every call, on success and on failure.
typedef struct cjpeg_result {
    /// A `cjpeg_status` value.
    int32_t status;
    /// Image size in pixels (0 if the header could not be read).
    uint32_t width;
    uint32_t height;
    /// Number of colour components in the coded data (1, 3 or 4 when supported).
    int32_t components;
    /// A `cjpeg_color_space` value.
    int32_t color_space;
    /// Number of non-fatal libjpeg warnings (corrupt-data warnings are tolerated).
    int32_t warnings;
    /// One-line, NUL-terminated description of the failure; empty on success.
    char message[CJPEG_MESSAGE_CAPACITY];
} cjpeg_result;

/// Reads only the header of the JPEG in `data[0..<size]` and fills `result`
/// (size, components, colour space). Refuses images with more than
/// `max_pixels` pixels. Returns `result->status`.
int32_t cjpeg_read_header(const uint8_t *data, size_t size, uint64_t max_pixels,
                          cjpeg_result *result);

/// Decodes the JPEG in `data[0..<size]` into `rgb`, which must hold exactly
/// `width * height * 3` bytes (learn the size from `cjpeg_read_header`).
/// Grayscale is expanded to RGB; CMYK/YCCK data is treated as Adobe-inverted
/// and converted to RGB the way Pillow's `convert('RGB')` does. The whole
/// stream must be present up to its end-of-image marker: a premature end is
/// `CJPEG_ERROR_TRUNCATED`. Returns `result->status`; on failure the contents
/// of `rgb` are unspecified.
int32_t cjpeg_decode_rgb(const uint8_t *data, size_t size, uint64_t max_pixels,
                         uint8_t *rgb, size_t rgb_size, cjpeg_result *result);

#ifdef __cplusplus
}
#endif

#endif
