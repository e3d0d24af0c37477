class ECDSAAlgorithmTest {
    void shouldFailOnInvalidSignature() {
        String signature = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        String jwt = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhdXRoMCJ9." + signature;
    }
}
