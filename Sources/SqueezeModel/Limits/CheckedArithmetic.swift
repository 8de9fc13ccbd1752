/// Size arithmetic on numbers that came from outside (files, options).
///
/// Every function returns nil instead of trapping when a result does not fit
/// in `Int`, so a hostile size becomes an error message, never a crash.
public enum Checked {
    /// `a * b`, or nil on overflow.
    @inlinable
    public static func multiply(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// `a + b`, or nil on overflow.
    @inlinable
    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// `a - b`, or nil on overflow.
    @inlinable
    public static func subtract(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// The product of `values` (1 when empty), or nil on overflow.
    @inlinable
    public static func product(_ values: some Sequence<Int>) -> Int? {
        var result = 1
        for v in values {
            guard let next = multiply(result, v) else { return nil }
            result = next
        }
        return result
    }

    /// The sum of `values` (0 when empty), or nil on overflow.
    @inlinable
    public static func sum(_ values: some Sequence<Int>) -> Int? {
        var result = 0
        for v in values {
            guard let next = add(result, v) else { return nil }
            result = next
        }
        return result
    }

    /// The product of `values`, or `Int.max` when it does not fit: for sizes
    /// that are only compared against a limit, where "too large" is the answer.
    @inlinable
    public static func saturatingProduct(_ values: some Sequence<Int>) -> Int {
        product(values) ?? .max
    }

    /// `a + b`, or `Int.max` (`Int.min`) when it does not fit.
    @inlinable
    public static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? (b > 0 ? .max : .min) : value
    }

    /// `a * b`, or `Int.max` when it does not fit (for non-negative sizes).
    @inlinable
    public static func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
        multiply(a, b) ?? ((a < 0) != (b < 0) ? .min : .max)
    }
}
