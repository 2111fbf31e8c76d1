import Foundation
public import HTTPTypes
public import NIOCore
import NIOFoundationCompat

/// Small helpers for endpoint tests.
public enum HTTPHelpers {
    public static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    public static func form(authorization: String) -> HTTPFields {
        [.contentType: "application/x-www-form-urlencoded", .authorization: authorization]
    }

    public static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw CocoaError(.propertyListReadCorrupt)
        }
        return object
    }
}
