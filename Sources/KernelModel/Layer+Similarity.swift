import Foundation

extension Layer {
    /// How far apart two layers are, for reusing a configuration tuned for one on the other:
    /// the log distance of their dimensions of the same name (4 for a dimension only one has),
    /// plus 0.5 for each other difference: each epilogue word and the weight precision.
    public static func distance(_ a: (layer: Layer, precision: Precision), _ b: (layer: Layer, precision: Precision)) -> Double {
        let (x, y) = (a.layer.dimensions, b.layer.dimensions)
        var distance = 0.0
        for name in Set(x.keys).union(y.keys) {
            if let p = x[name], let q = y[name], p > 0, q > 0 { distance += abs(log2(Double(p) / Double(q))) } else { distance += 4 }
        }
        return distance + 0.5 * Double(words(a).symmetricDifference(words(b)).count)
    }

    /// The key's words that are not dimensions: the epilogue's and a precision other than fp32.
    private static func words(_ item: (layer: Layer, precision: Precision)) -> Set<String> {
        var words = Set(item.layer.epilogue.description.split(separator: " ").map(String.init))
        if item.layer.key(precision: item.precision) != item.layer.description { words.insert(item.precision.rawValue) }
        return words
    }
}
