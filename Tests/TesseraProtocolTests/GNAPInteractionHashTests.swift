import TesseraProtocol
import Testing

/// RFC 9635 §4.2.3 interaction hash: the published vector, and the computed ones in the spec digest.
@Suite struct GNAPInteractionHashTests {
    @Test func publishedSHA256Vector() {
        let hash = GNAPInteractionHash.compute(
            clientNonce: "VJLO6A4CATR0KRO",
            serverNonce: "MBDOFXG4Y5CVJCX821LH",
            interactRef: "4IFWWIKYB2PQ6U56NL1",
            grantEndpoint: "https://server.example.com/tx"
        )
        #expect(hash == "x-gguKWTj8rQf7d7i3w3UhzvuJ5bpOlKyAlVpLxBffY")
    }

    @Test func sha512AndSHA384Vectors() {
        let inputs = ("VJLO6A4CATR0KRO", "MBDOFXG4Y5CVJCX821LH", "4IFWWIKYB2PQ6U56NL1", "https://server.example.com/tx")
        #expect(
            GNAPInteractionHash.compute(
                clientNonce: inputs.0,
                serverNonce: inputs.1,
                interactRef: inputs.2,
                grantEndpoint: inputs.3,
                method: "sha-512"
            )
                == "454VR2f6OAHg3PDng-iAbfPEeBCI70VP0KcpleQZBC5TfJRbNOgz0RGVWI_gLaQXwRFst3CyzWPS_IPRDZ39fw"
        )
        #expect(
            GNAPInteractionHash.compute(
                clientNonce: inputs.0,
                serverNonce: inputs.1,
                interactRef: inputs.2,
                grantEndpoint: inputs.3,
                method: "sha-384"
            )
                == "DwX1yKfwbAnxXBe7KO5rWSurmzBtHyTIW-rnmEv1ENWN7hqcSQLnEA6Mj4uIb7S6"
        )
        #expect(
            GNAPInteractionHash.compute(
                clientNonce: "LKLTI25DK82FX4T4QFZC",
                serverNonce: "MBDOFXG4Y5CVJCX821LH",
                interactRef: "4IFWWIKYBC2PQ6U56NL1",
                grantEndpoint: "https://server.example.com/tx",
                method: "sha-512"
            ) == "argkpgWETJYna3pJqVyOxkn5x5Q0aqnE8bEBJ8EuTEZu9MfFa-jIaou5_7zbpRd3QJ2WMc_2j9ASiZgZhO2pdA"
        )
    }

    @Test func unknownMethodsAndChangedInputsDoNotVerify() {
        let good = "fkDL3EiN81nYPKLhqxybiiDuqbaHvk1IYpfhZlm8b-M"
        let base = ("LKLTI25DK82FX4T4QFZC", "MBDOFXG4Y5CVJCX821LH", "4IFWWIKYBC2PQ6U56NL1", "https://server.example.com/tx")
        #expect(GNAPInteractionHash.verify(good, clientNonce: base.0, serverNonce: base.1, interactRef: base.2, grantEndpoint: base.3))
        #expect(
            !GNAPInteractionHash.verify(
                good,
                clientNonce: base.0,
                serverNonce: base.1,
                interactRef: base.2,
                grantEndpoint: "https://other.example/tx"
            )
        )
        #expect(
            !GNAPInteractionHash.verify(good, clientNonce: base.0, serverNonce: base.1, interactRef: "X" + base.2, grantEndpoint: base.3)
        )
        #expect(GNAPInteractionHash.compute(clientNonce: "a", serverNonce: "b", interactRef: "c", grantEndpoint: "d", method: "md5") == nil)
        #expect(
            !GNAPInteractionHash.verify(
                good,
                clientNonce: base.0,
                serverNonce: base.1,
                interactRef: base.2,
                grantEndpoint: base.3,
                method: "sha3-256"
            )
        )
    }
}
