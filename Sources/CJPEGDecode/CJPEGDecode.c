// Audit notes
// - libjpeg's fatal errors go to `on_error_exit`, which records the message and
//   longjmps back to the setjmp in `decode`. Only C frames (this file and
//   libjpeg) lie between the two, so no Swift frame is ever skipped.
// - After a longjmp only `cinfo` (address taken, so it lives in memory) and
//   `result` (unchanged pointer) are used; every libjpeg allocation, including
//   the CMYK row buffer, comes from libjpeg's pools and is released by
//   jpeg_destroy_decompress, so an error path cannot leak.
// - libjpeg never writes to stderr: output_message is replaced by a no-op.
// - A premature end of data is a warning in libjpeg (it pads the stream with a
//   fake EOI and fills the rest with grey); Pillow refuses such files, so the
//   warning is promoted to an error here. Other warnings are counted, tolerated.
// - Pixel count is checked against the caller's limit after the header is read
//   and before libjpeg allocates per-image memory in jpeg_start_decompress.
#include "CJPEGDecode.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

typedef struct error_manager {
    struct jpeg_error_mgr pub; // first member: libjpeg only knows this part
    jmp_buf jump;
    cjpeg_result *result;
} error_manager;

/// Copies `text` into the result as a single line.
static void fail(cjpeg_result *result, int32_t status, const char *text) {
    result->status = status;
    size_t i = 0;
    for (; text[i] != '\0' && i < CJPEG_MESSAGE_CAPACITY - 1; i++) {
        char c = text[i];
        result->message[i] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    result->message[i] = '\0';
}

static int32_t status_for_code(int code) {
    switch (code) {
    case JERR_NO_SOI:
        return CJPEG_ERROR_NOT_JPEG;
    case JERR_INPUT_EMPTY:
        return CJPEG_ERROR_TRUNCATED;
    case JERR_BAD_PRECISION:
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_J_COLORSPACE:
    case JERR_COMPONENT_COUNT:
    case JERR_SOF_UNSUPPORTED:
    case JERR_ARITH_NOTIMPL:
    case JERR_NOT_COMPILED:
        return CJPEG_ERROR_UNSUPPORTED;
    case JERR_IMAGE_TOO_BIG:
    case JERR_WIDTH_OVERFLOW:
        return CJPEG_ERROR_TOO_LARGE;
    case JERR_OUT_OF_MEMORY:
        return CJPEG_ERROR_OUT_OF_MEMORY;
    default:
        return CJPEG_ERROR_CORRUPT;
    }
}

static void on_error_exit(j_common_ptr cinfo) {
    error_manager *err = (error_manager *)cinfo->err;
    char text[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, text);
    fail(err->result, status_for_code(cinfo->err->msg_code), text);
    longjmp(err->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int msg_level) {
    error_manager *err = (error_manager *)cinfo->err;
    if (msg_level >= 0) {
        return; // trace output
    }
    if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
        fail(err->result, CJPEG_ERROR_TRUNCATED, "premature end of JPEG data");
        longjmp(err->jump, 1);
    }
    cinfo->err->num_warnings++;
    err->result->warnings++;
}

static void on_output_message(j_common_ptr cinfo) {
    (void)cinfo;
}

static int32_t color_space_of(J_COLOR_SPACE space) {
    switch (space) {
    case JCS_GRAYSCALE: return CJPEG_COLOR_GRAYSCALE;
    case JCS_RGB: return CJPEG_COLOR_RGB;
    case JCS_YCbCr: return CJPEG_COLOR_YCBCR;
    case JCS_CMYK: return CJPEG_COLOR_CMYK;
    case JCS_YCCK: return CJPEG_COLOR_YCCK;
    default: return CJPEG_COLOR_UNKNOWN;
    }
}

/// Pillow's MULDIV255: a * b / 255 rounded, without a division.
static inline int muldiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
}

/// Pillow reads 4-component JPEGs as Adobe-inverted CMYK ("CMYK;I": every
/// channel is 255 - sample) and then converts with cmyk2rgb:
/// out = clip(nk - nk * C / 255), where nk = 255 - K. With inverted input,
/// nk is the raw K sample and C is 255 - the raw C sample.
static void cmyk_row_to_rgb(const JSAMPLE *cmyk, uint8_t *rgb, JDIMENSION width) {
    for (JDIMENSION x = 0; x < width; x++) {
        int nk = cmyk[3];
        for (int c = 0; c < 3; c++) {
            int v = nk - muldiv255(255 - cmyk[c], nk);
            rgb[c] = (uint8_t)(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
        cmyk += 4;
        rgb += 3;
    }
}

static int32_t decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t *rgb,
                      size_t rgb_size, cjpeg_result *result, int header_only) {
    if (result == NULL) {
        return CJPEG_ERROR_INVALID_ARGUMENT;
    }
    memset(result, 0, sizeof *result);
    if (data == NULL && size > 0) {
        fail(result, CJPEG_ERROR_INVALID_ARGUMENT, "null data pointer");
        return result->status;
    }
    if (size == 0) {
        fail(result, CJPEG_ERROR_EMPTY, "empty input");
        return result->status;
    }
    // Same signature test as Pillow; libjpeg would otherwise report a
    // too-short non-JPEG as truncated.
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        fail(result, CJPEG_ERROR_NOT_JPEG, "not a JPEG file (no start-of-image marker)");
        return result->status;
    }
    if (size > ULONG_MAX) {
        fail(result, CJPEG_ERROR_TOO_LARGE, "input larger than libjpeg can address");
        return result->status;
    }

    struct jpeg_decompress_struct cinfo;
    error_manager err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error_exit;
    err.pub.emit_message = on_emit_message;
    err.pub.output_message = on_output_message;
    err.result = result;

    if (setjmp(err.jump)) {
        // `result` was filled by the handler that jumped here.
        jpeg_destroy_decompress(&cinfo);
        return result->status;
    }

    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    (void)jpeg_read_header(&cinfo, TRUE);

    result->width = cinfo.image_width;
    result->height = cinfo.image_height;
    result->components = cinfo.num_components;
    result->color_space = color_space_of(cinfo.jpeg_color_space);

    char text[CJPEG_MESSAGE_CAPACITY];
    uint64_t pixels = (uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height;
    if (pixels == 0) {
        fail(result, CJPEG_ERROR_CORRUPT, "image has zero width or height");
    } else if (pixels > max_pixels) {
        snprintf(text, sizeof text, "%ux%u image has %llu pixels, more than the limit of %llu",
                 cinfo.image_width, cinfo.image_height, (unsigned long long)pixels,
                 (unsigned long long)max_pixels);
        fail(result, CJPEG_ERROR_TOO_LARGE, text);
    } else if (cinfo.data_precision != 8) {
        snprintf(text, sizeof text, "unsupported sample precision of %d bits", cinfo.data_precision);
        fail(result, CJPEG_ERROR_UNSUPPORTED, text);
    } else if (!((cinfo.num_components == 1 && cinfo.jpeg_color_space == JCS_GRAYSCALE) ||
                 (cinfo.num_components == 3 &&
                  (cinfo.jpeg_color_space == JCS_YCbCr || cinfo.jpeg_color_space == JCS_RGB)) ||
                 (cinfo.num_components == 4 &&
                  (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK)))) {
        snprintf(text, sizeof text, "unsupported colour space (%d components)", cinfo.num_components);
        fail(result, CJPEG_ERROR_UNSUPPORTED, text);
    } else if (!header_only && (rgb == NULL || pixels > SIZE_MAX / 3 || rgb_size != (size_t)pixels * 3)) {
        fail(result, CJPEG_ERROR_INVALID_ARGUMENT, "output buffer does not match the image size");
    }
    if (header_only || result->status != CJPEG_OK) {
        jpeg_destroy_decompress(&cinfo);
        return result->status;
    }

    int cmyk = cinfo.num_components == 4;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB; // grayscale is replicated to RGB
    (void)jpeg_start_decompress(&cinfo);

    const JDIMENSION width = cinfo.output_width;
    const JDIMENSION height = cinfo.output_height;
    if (width != cinfo.image_width || height != cinfo.image_height ||
        cinfo.output_components != (cmyk ? 4 : 3)) {
        fail(result, CJPEG_ERROR_CORRUPT, "decoder output does not match the header");
        jpeg_destroy_decompress(&cinfo);
        return result->status;
    }
    const size_t stride = (size_t)width * 3;

    if (cmyk) {
        JSAMPARRAY row = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE, width * 4, 1);
        while (cinfo.output_scanline < height) {
            JDIMENSION line = cinfo.output_scanline;
            if (jpeg_read_scanlines(&cinfo, row, 1) != 1) {
                break;
            }
            cmyk_row_to_rgb(row[0], rgb + (size_t)line * stride, width);
        }
    } else {
        enum { batch = 16 };
        JSAMPROW rows[batch];
        while (cinfo.output_scanline < height) {
            JDIMENSION line = cinfo.output_scanline;
            JDIMENSION count = height - line < batch ? height - line : batch;
            for (JDIMENSION i = 0; i < count; i++) {
                rows[i] = rgb + (size_t)(line + i) * stride;
            }
            if (jpeg_read_scanlines(&cinfo, rows, count) == 0) {
                break;
            }
        }
    }
    if (cinfo.output_scanline < height) {
        // Not expected with an in-memory source, which never suspends.
        fail(result, CJPEG_ERROR_CORRUPT, "decoder stopped before the last scanline");
        jpeg_destroy_decompress(&cinfo);
        return result->status;
    }
    // Reads up to the EOI marker, so a stream cut after the last scan is
    // still reported as truncated (as Pillow does).
    (void)jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return CJPEG_OK;
}

int32_t cjpeg_read_header(const uint8_t *data, size_t size, uint64_t max_pixels,
                          cjpeg_result *result) {
    return decode(data, size, max_pixels, NULL, 0, result, 1);
}

int32_t cjpeg_decode_rgb(const uint8_t *data, size_t size, uint64_t max_pixels,
                         uint8_t *rgb, size_t rgb_size, cjpeg_result *result) {
    return decode(data, size, max_pixels, rgb, rgb_size, result, 0);
}
