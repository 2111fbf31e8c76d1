/// Minimal PEM (RFC 7468) and DER reading, enough to route a key to the right swift-crypto initializer.
struct PEMDocument {
    var label: String
    var der: [UInt8]

    init(_ pem: String) throws(HTTPSignatureError) {
        var label: String?
        var body: [UInt8] = []
        var inside = false
        for rawLine in pem.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.trimmingSpaces()
            if line.hasPrefix("-----BEGIN ") && line.hasSuffix("-----") {
                guard !inside, label == nil else { throw HTTPSignatureError(.invalidKey, "PEM holds more than one block") }
                label = String(line.dropFirst(11).dropLast(5))
                inside = true
            } else if line.hasPrefix("-----END ") {
                guard inside, line.dropFirst(9).dropLast(5) == label ?? "" else {
                    throw HTTPSignatureError(.invalidKey, "PEM END line does not match BEGIN")
                }
                inside = false
            } else if inside {
                body.append(contentsOf: line.utf8)
            }
        }
        guard let label, !inside, let der = Base64.decode(body), !der.isEmpty else {
            throw HTTPSignatureError(.invalidKey, "not a PEM document")
        }
        self.label = label
        self.der = der
    }

    /// The text form again, for initializers that take PEM.
    var pemString: String {
        let encoded = Base64.encode(der)
        var lines = ["-----BEGIN \(label)-----"]
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 64, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        lines.append("-----END \(label)-----")
        return lines.joined(separator: "\n")
    }

    func contains(_ pattern: [UInt8]) -> Bool {
        guard pattern.count <= der.count else { return false }
        for start in 0...(der.count - pattern.count) where der[start..<(start + pattern.count)].elementsEqual(pattern) {
            return true
        }
        return false
    }

    static let oidEd25519: [UInt8] = [0x06, 0x03, 0x2B, 0x65, 0x70]
    static let oidP256: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    static let oidP384: [UInt8] = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22]
    static let oidRSA: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01]
    static let oidRSAPSS: [UInt8] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A]

    /// Reads one DER TLV at `offset`: its tag, the range of its contents and the offset after it.
    static func readTLV(_ der: [UInt8], at offset: Int) -> (tag: UInt8, contents: Range<Int>, next: Int)? {
        guard offset + 2 <= der.count else { return nil }
        let tag = der[offset]
        var cursor = offset + 1
        var length = Int(der[cursor])
        cursor += 1
        if length & 0x80 != 0 {
            let octets = length & 0x7F
            guard octets >= 1, octets <= 3, cursor + octets <= der.count else { return nil }
            length = 0
            for _ in 0..<octets {
                length = length << 8 | Int(der[cursor])
                cursor += 1
            }
        }
        guard cursor + length <= der.count else { return nil }
        return (tag, cursor..<(cursor + length), cursor + length)
    }

    /// The private key octets of a PKCS#8 `PrivateKeyInfo` (RFC 5208 §5): SEQUENCE { version, algorithm, OCTET STRING }.
    func pkcs8PrivateKeyOctets() -> [UInt8]? {
        guard let outer = Self.readTLV(der, at: 0), outer.tag == 0x30,
            let version = Self.readTLV(der, at: outer.contents.lowerBound), version.tag == 0x02,
            let algorithm = Self.readTLV(der, at: version.next), algorithm.tag == 0x30,
            let octets = Self.readTLV(der, at: algorithm.next), octets.tag == 0x04
        else { return nil }
        return Array(der[octets.contents])
    }

    /// The subject public key bits of a SubjectPublicKeyInfo (RFC 5280 §4.1), without the unused-bits octet.
    func spkiPublicKeyBits() -> [UInt8]? {
        guard let outer = Self.readTLV(der, at: 0), outer.tag == 0x30,
            let algorithm = Self.readTLV(der, at: outer.contents.lowerBound), algorithm.tag == 0x30,
            let bits = Self.readTLV(der, at: algorithm.next), bits.tag == 0x03, bits.contents.count >= 1,
            der[bits.contents.lowerBound] == 0
        else { return nil }
        return Array(der[(bits.contents.lowerBound + 1)..<bits.contents.upperBound])
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result = result.dropFirst() }
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
