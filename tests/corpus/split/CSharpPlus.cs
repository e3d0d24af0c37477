public static class TestTokens
{
    public const string IdToken = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImtpZCI6ImNlNTIyNzBmNDYyNDNkOWRm" +
        "MmE5ODBiNGNmNmJhNDA3In0." +
        "eyJ2ZXIiOiIyLjAiLCJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5j" +
        "b20vMzMzODA0MGQtNmM2Ny00YzViLWIxMTItMzZhMzA0YjY2ZGFkL3YyLjAiLCJzdWIi" +
        "OiJBQUFBQUFBQUFBQUFBQUFBQUFBQUFJa3pxRlZyU2FTYUZIeTc4MmJidGFRIiwiYXVk" +
        "IjoiNmNiMDQwMTgtYTNmNS00NmE3LWI5OTUtOTQwYzc4ZjVhZWYzIiwiZXhwIjoxNTM2" +
        "MzYxNDExLCJpYXQiOjE1MzYyNzQ3MTEsIm5iZiI6MTUzNjI3NDcxMSwibmFtZSI6IkFi" +
        "ZSBMaW5jb2xuIiwicHJlZmVycmVkX3VzZXJuYW1lIjoiQWJlTGlAbWljcm9zb2Z0LmNv" +
        "bSIsImxvZ2luX2hpbnQiOiJBYmVMaUxvZ2luSGludCIsInVwbiI6IkFiZUxpVXBuIiwi" +
        "b2lkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTY2ZjMtMzMzMmVjYTdlYTgxIiwidGlkIjoi" +
        "MzMzODA0MGQtNmM2Ny00YzViLWIxMTItMzZhMzA0YjY2ZGFkIiwibm9uY2UiOiIxMjM1" +
        "MjMiLCJhaW8iOiJEZjJVVlhMMWl4IWxNQ1dNU09KQmNGYXR6Y0dmdkZHaGpLdjhxNWcw" +
        "eDczMmRSNU1CNUJpc3ZHUU83WVdCeWpkOGlRRExxIWVHYklEYWt5cDVtbk9yY2RxSGVZ" +
        "U25sdGVwUW1ScDZBSVo4alkifQ." +
        "evae_4e4k-mHaJ4bqvCGJ5kuh7h49pemASIz-A1N4K1hms3dkQ9Fz7PeLPHVrfSDvxi5" +
        "JFbhKDkplU4Io8PbNxQVpZemUuSHy6JlrmNBubW8UWgM_YhDaoa55d5g12pGizIba35y" +
        "meqB43d6snUP819TK6eSpPwZhBgvEyOG5fp69y0ALEiXVKdf-qJ3rcupVKygrk5TqhZL" +
        "is8r0NLziFrvddVCOIx9SnC72sV-dHGDHn6oDw8CXKl-szwXrSELI8FfcTHLRA_vD6_z" +
        "Tx4fgBICS66CvorcQjWQOzs8AVm6KjsIAjck65xOXltzvnPEYwf1Y73Ryki-F1SfxmPo" +
        "6u_TkTObcQXtDps5R-ZIk5HdFe8vr-aX-WGiXS3SEQKynV23dTRqDqTATBQzOz9eiJnm" +
        "jV8unZGe1GdgPgvyJSc9JPK4wfM5ElJMtizGqPaG08VzKnCYTk32hhhsX2krT_6Ii5NF" +
        "p5l8SNWO8mfCl6OXai8_XsWQhe0q_fTWTqoT";
}
