import CUDALibraries
import Foundation

/// An arithmetic and logical expression over tuning parameters and problem sizes, as Kernel
/// Tuner writes constraints and grid sizes: `BLOCK_SIZE*TILE <= 1024`, `n / (BLOCK_SIZE*TILE)`,
/// `block_size_x % 32 == 0 and TILE > 1`. Numbers are doubles; `/` divides exactly, `//` floors,
/// `%` and `**` as in Python; comparisons chain (`32 <= B <= 1024`); `and`/`or`/`not` (or `&&`,
/// `||`, `!`) take non-zero as true; `min`, `max`, `ceil`, `floor` are functions.
public struct ParameterExpression: Sendable, CustomStringConvertible {
    public let text: String
    private let root: Node
    /// The names the expression reads.
    public let names: Set<String>

    public init(_ text: String) throws {
        self.text = text
        var parser = Parser(text: text)
        root = try parser.parseAll()
        names = root.names
    }

    public var description: String { text }

    /// The value with `bindings` for the names; a name without a binding is an error naming it.
    public func evaluate(_ bindings: [String: Double]) throws -> Double {
        try root.evaluate(bindings, expression: text)
    }

    /// `evaluate` as a truth value (non-zero).
    public func isSatisfied(_ bindings: [String: Double]) throws -> Bool { try evaluate(bindings) != 0 }

    indirect enum Node: Sendable {
        case number(Double)
        case name(String)
        case unary(String, Node)
        case binary(String, Node, Node)
        /// a < b <= c: each adjacent pair compared, all must hold.
        case chain([Node], [String])
        case call(String, [Node])

        var names: Set<String> {
            switch self {
            case .number: []
            case .name(let name): [name]
            case .unary(_, let node): node.names
            case .binary(_, let a, let b): a.names.union(b.names)
            case .chain(let nodes, _), .call(_, let nodes): nodes.reduce(into: Set<String>()) { $0.formUnion($1.names) }
            }
        }

        func evaluate(_ bindings: [String: Double], expression: String) throws -> Double {
            func value(_ node: Node) throws -> Double { try node.evaluate(bindings, expression: expression) }
            switch self {
            case .number(let number): return number
            case .name(let name):
                guard let bound = bindings[name] else {
                    throw GPUError(.unsupported, "\"\(expression)\": unknown name \"\(name)\" (known: \(bindings.keys.sorted().joined(separator: ", ")))")
                }
                return bound
            case .unary(let op, let node):
                let x = try value(node)
                return op == "-" ? -x : (x == 0 ? 1 : 0)
            case .binary(let op, let a, let b):
                let x = try value(a)
                if op == "and" { return x == 0 ? 0 : (try value(b) != 0 ? 1 : 0) }
                if op == "or" { return x != 0 ? 1 : (try value(b) != 0 ? 1 : 0) }
                let y = try value(b)
                switch op {
                case "+": return x + y
                case "-": return x - y
                case "*": return x * y
                case "/", "//", "%":
                    guard y != 0 else { throw GPUError(.unsupported, "\"\(expression)\": division by zero") }
                    if op == "/" { return x / y }
                    if op == "//" { return (x / y).rounded(.down) }
                    return x - y * (x / y).rounded(.down)  // Python's sign rule
                default: return pow(x, y)  // "**"
                }
            case .chain(let nodes, let ops):
                var left = try value(nodes[0])
                for (index, op) in ops.enumerated() {
                    let right = try value(nodes[index + 1])
                    let holds: Bool
                    switch op {
                    case "<": holds = left < right
                    case "<=": holds = left <= right
                    case ">": holds = left > right
                    case ">=": holds = left >= right
                    case "==": holds = left == right
                    default: holds = left != right
                    }
                    if !holds { return 0 }
                    left = right
                }
                return 1
            case .call(let function, let arguments):
                let values = try arguments.map(value)
                switch function {
                case "min": return values.min()!
                case "max": return values.max()!
                case "ceil": return values[0].rounded(.up)
                default: return values[0].rounded(.down)  // "floor"
                }
            }
        }
    }

    /// Recursive descent over the characters, one token of lookahead.
    struct Parser {
        let text: String
        let characters: [Character]
        var position = 0

        init(text: String) {
            self.text = text
            characters = Array(text)
        }

        mutating func parseAll() throws -> Node {
            let node = try parseOr()
            skipSpaces()
            if position < characters.count { throw error("unexpected \"\(characters[position])\"") }
            return node
        }

        func error(_ problem: String) -> GPUError {
            GPUError(.unsupported, "\"\(text)\": \(problem) at column \(position + 1)")
        }

        mutating func skipSpaces() {
            while position < characters.count, characters[position].isWhitespace { position += 1 }
        }

        /// Consumes `token` (a word must end there) when it comes next.
        mutating func accept(_ token: String) -> Bool {
            skipSpaces()
            let tokenCharacters = Array(token)
            guard position + tokenCharacters.count <= characters.count,
                  Array(characters[position..<(position + tokenCharacters.count)]) == tokenCharacters else { return false }
            let end = position + tokenCharacters.count
            if token.first!.isLetter, end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" {
                return false
            }
            // "<" must not take the first character of "<=", "*" of "**", "/" of "//".
            if ["<", ">", "*", "/", "=", "!"].contains(token), end < characters.count,
               characters[end] == "=" || (token == "*" && characters[end] == "*") || (token == "/" && characters[end] == "/") {
                return false
            }
            position = end
            return true
        }

        mutating func parseOr() throws -> Node {
            var node = try parseAnd()
            while accept("or") || accept("||") { node = .binary("or", node, try parseAnd()) }
            return node
        }

        mutating func parseAnd() throws -> Node {
            var node = try parseNot()
            while accept("and") || accept("&&") { node = .binary("and", node, try parseNot()) }
            return node
        }

        mutating func parseNot() throws -> Node {
            if accept("not") || accept("!") { return .unary("not", try parseNot()) }
            return try parseComparison()
        }

        mutating func parseComparison() throws -> Node {
            var nodes = [try parseSum()]
            var ops: [String] = []
            while let op = ["<=", ">=", "==", "!=", "<", ">"].first(where: { accept($0) }) {
                ops.append(op)
                nodes.append(try parseSum())
            }
            return ops.isEmpty ? nodes[0] : .chain(nodes, ops)
        }

        mutating func parseSum() throws -> Node {
            var node = try parseProduct()
            while true {
                if accept("+") { node = .binary("+", node, try parseProduct()) } else if accept("-") { node = .binary("-", node, try parseProduct()) } else { return node }
            }
        }

        mutating func parseProduct() throws -> Node {
            var node = try parseUnary()
            while let op = ["//", "*", "/", "%"].first(where: { accept($0) }) { node = .binary(op, node, try parseUnary()) }
            return node
        }

        mutating func parseUnary() throws -> Node {
            if accept("-") { return .unary("-", try parseUnary()) }
            if accept("+") { return try parseUnary() }
            let base = try parseAtom()
            if accept("**") { return .binary("**", base, try parseUnary()) }
            return base
        }

        mutating func parseAtom() throws -> Node {
            skipSpaces()
            guard position < characters.count else { throw error("expression ends early") }
            let first = characters[position]
            if accept("(") {
                let node = try parseOr()
                guard accept(")") else { throw error("\")\" expected") }
                return node
            }
            if first.isNumber || first == "." {
                let start = position
                while position < characters.count, characters[position].isNumber || characters[position] == "." || characters[position] == "e" {
                    position += 1
                }
                let literal = String(characters[start..<position])
                guard let number = Double(literal) else { throw error("\"\(literal)\" is not a number") }
                return .number(number)
            }
            if first.isLetter || first == "_" {
                let start = position
                while position < characters.count, characters[position].isLetter || characters[position].isNumber || characters[position] == "_" {
                    position += 1
                }
                let name = String(characters[start..<position])
                if accept("(") {
                    guard ["min", "max", "ceil", "floor"].contains(name) else { throw error("unknown function \"\(name)\" (min, max, ceil, floor)") }
                    var arguments = [try parseOr()]
                    while accept(",") { arguments.append(try parseOr()) }
                    guard accept(")") else { throw error("\")\" expected") }
                    if (name == "ceil" || name == "floor") && arguments.count != 1 { throw error("\(name) takes one argument") }
                    return .call(name, arguments)
                }
                return .name(name)
            }
            throw error("unexpected \"\(first)\"")
        }
    }
}
