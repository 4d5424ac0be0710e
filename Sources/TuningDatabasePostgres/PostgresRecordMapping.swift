import Foundation
import PostgresNIO

/// Moves the database's Codable records in and out of rows by their column names (the records'
/// snake_case keys), so that each table's columns are written in one place: PostgresSchema.
enum PostgresRecordMapping {
    /// One JSON value of a record's field. Through Codable both ways (JSONSerialization rounded
    /// 0.00030000000000000003 to 0.0003000000000000001 here: an export would not round-trip).
    enum Scalar: Codable {
        case text(String), integer(Int), real(Double), boolean(Bool), null

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null } else if let value = try? container.decode(Bool.self) { self = .boolean(value) } else if let value = try? container.decode(Int.self) { self = .integer(value) } else if let value = try? container.decode(Double.self) { self = .real(value) } else { self = .text(try container.decode(String.self)) }
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .text(let value): try container.encode(value)
            case .integer(let value): try container.encode(value)
            case .real(let value): try container.encode(value)
            case .boolean(let value): try container.encode(value)
            case .null: try container.encodeNil()
            }
        }
    }

    static func bindings(_ record: some Encodable, table: PostgresSchema.Table) throws -> PostgresBindings {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let object = try JSONDecoder().decode([String: Scalar].self, from: encoder.encode(record))
        var bindings = PostgresBindings(capacity: table.columns.count)
        for (column, type, _) in table.columns {
            switch (type, object[column] ?? .null) {
            case (_, .null): bindings.appendNull()
            case (.text, .text(let value)): bindings.append(value)
            case (.integer, .integer(let value)): bindings.append(value)
            case (.real, .real(let value)): bindings.append(value)
            case (.real, .integer(let value)): bindings.append(Double(value))
            case (.boolean, .boolean(let value)): bindings.append(value)
            case (_, let value): throw PostgresShapeError(message: "column \(table.name).\(column) (\(type.rawValue)) got \(value)")
            }
        }
        return bindings
    }

    static func record<Record: Decodable>(_ row: PostgresRow, as type: Record.Type, table: PostgresSchema.Table) throws -> Record {
        var object: [String: Scalar] = [:]
        for cell in row where cell.bytes != nil {
            switch table.type(of: cell.columnName) {
            case .text?: object[cell.columnName] = .text(try cell.decode(String.self))
            case .integer?: object[cell.columnName] = .integer(try cell.decode(Int.self))
            case .real?: object[cell.columnName] = .real(try cell.decode(Double.self))
            case .boolean?: object[cell.columnName] = .boolean(try cell.decode(Bool.self))
            case nil: continue
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Record.self, from: JSONEncoder().encode(object))
    }

    /// INSERT of every column, $1 … $n in the table's order.
    static func insert(_ table: PostgresSchema.Table) -> String {
        let columns = table.columns.map(\.0)
        return "INSERT INTO \(table.name) (\(columns.joined(separator: ", "))) VALUES (\((1...columns.count).map { "$\($0)" }.joined(separator: ", ")))"
    }

    /// `SET c = EXCLUDED.c` for every non-key column: an upsert's update clause.
    static func updateAll(_ table: PostgresSchema.Table) -> String {
        table.columns.map(\.0).filter { !table.key.contains($0) }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
    }
}

/// A record's field does not fit its column (a schema and record out of step: a bug).
struct PostgresShapeError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
