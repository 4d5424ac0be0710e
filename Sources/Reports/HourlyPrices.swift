import TunebenchCore

/// What each profile's machine costs per hour, for `compare --cost`: "A=3.06/h,B=1.20/h", the
/// profiles named A and B or by their ids, "$" allowed.
public struct HourlyPrices: Sendable, Equatable {
    public var a: Double?
    public var b: Double?

    public init(a: Double? = nil, b: Double? = nil) {
        self.a = a
        self.b = b
    }

    public init(parsing text: String, profileA: String, profileB: String) throws {
        for item in text.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let price = parts.count == 2 ? Double(parts[1].replacingOccurrences(of: "/h", with: "").replacingOccurrences(of: "$", with: "")) : nil
            guard let price, price >= 0 else { throw OptionError("--cost takes A=PRICE/h,B=PRICE/h, e.g. A=3.06/h,B=1.20/h; got \"\(item)\"") }
            switch parts[0] {
            case "A", profileA: a = price
            case "B", profileB: b = price
            default: throw OptionError("--cost: \"\(parts[0])\" is neither A, B, \(profileA) nor \(profileB)")
            }
        }
    }
}
