import Foundation

/// How far apart two layer signatures of the same operation are: the log distance of their
/// numeric dimensions, plus a step for each other word that differs (epilogue, precision).
public enum ShapeSimilarity {
    public static func distance(_ a: String, _ b: String) -> Double {
        let (x, xWords) = parse(a)
        let (y, yWords) = parse(b)
        var distance = 0.0
        for key in Set(x.keys).union(y.keys) {
            if let p = x[key], let q = y[key], p > 0, q > 0 { distance += abs(log2(p / q)) } else { distance += 4 }
        }
        return distance + 0.5 * Double(xWords.symmetricDifference(yWords).count)
    }

    static func parse(_ signature: String) -> ([String: Double], Set<String>) {
        var dimensions: [String: Double] = [:]
        var words = Set<String>()
        for token in signature.split(separator: " ").dropFirst() {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { dimensions[String(parts[0])] = value } else { words.insert(String(token)) }
        }
        return (dimensions, words)
    }
}
