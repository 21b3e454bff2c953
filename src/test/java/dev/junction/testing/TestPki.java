package dev.junction.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A cluster's certificate authority made for one test, as kubeadm makes it (RSA 2048, SHA-256): the CA a
 * kubeconfig's {@code certificate-authority-data} names, the API server's serving certificate for 127.0.0.1,
 * and client certificates. Keys live only in memory and the test's temporary files; none is committed.
 */
public final class TestPki {

    /** A certificate issued by the CA with its private key. */
    public record Issued(X509Certificate certificate, PrivateKey key) {

        public String certificatePem() {
            return pem(certificate);
        }

        public String keyPem() {
            return pem(key);
        }
    }

    private static final AtomicLong SERIALS = new AtomicLong(System.currentTimeMillis());

    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final X500Name caName = new X500Name("CN=kubernetes");

    private TestPki() throws GeneralSecurityException, OperatorCreationException, IOException {
        caKeys = keys();
        X509v3CertificateBuilder builder = builder(caName, caKeys);
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        ca = sign(builder);
    }

    public static TestPki create() {
        try {
            return new TestPki();
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot make a test CA", e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public X509Certificate ca() {
        return ca;
    }

    /** The CA as a kubeconfig's {@code certificate-authority-data} holds it: base64 of the PEM. */
    public String caData() {
        return data(pem(ca));
    }

    /** The API server's serving certificate, for 127.0.0.1 and localhost. */
    public Issued server() {
        return issue("CN=kube-apiserver", KeyPurposeId.id_kp_serverAuth,
                new GeneralNames(new GeneralName[] {new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")}));
    }

    /** A client certificate for user {@code user} of group {@code group}, as the API server reads CN and O. */
    public Issued client(String user, String group) {
        return issue("CN=" + user + ",O=" + group, KeyPurposeId.id_kp_clientAuth, null);
    }

    /** Base64 of {@code pem}, as the kubeconfig's {@code ...-data} fields hold it. */
    public static String data(String pem) {
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private Issued issue(String subject, KeyPurposeId purpose, GeneralNames names) {
        try {
            KeyPair keys = keys();
            X509v3CertificateBuilder builder = builder(new X500Name(subject), keys);
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            if (names != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, names);
            }
            return new Issued(sign(builder), keys.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue " + subject, e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private X509v3CertificateBuilder builder(X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(caName, BigInteger.valueOf(SERIALS.incrementAndGet()),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject,
                keys.getPublic());
    }

    private X509Certificate sign(X509v3CertificateBuilder builder)
            throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(caKeys.getPrivate())));
    }

    private static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    /** {@code object} (a certificate, a key) in PEM, as files and the kubeconfig's data fields hold it. */
    public static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }
}
