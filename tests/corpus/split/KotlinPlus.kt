object CognitoFixtures {
    const val ACCESS_TOKEN = "eyJraWQiOiJTUHg0UENOVTFabytvMHUzSmVod1FleXpsWjVqOWN5VE1KWDdtUlFVdGR3" +
        "PSIsImFsZyI6IlJTMjU2In0." +
        "eyJzdWIiOiJmNjQwMTI3NC1lNWEwLTQzMTQtODc1ZS1iNGUwZGRiNThkMDgiLCJjb2du" +
        "aXRvOmdyb3VwcyI6WyJVU0VSIiwiREVWIl0sImlzcyI6Imh0dHBzOlwvXC9jb2duaXRv" +
        "LWlkcC5ldS13ZXN0LTEuYW1hem9uYXdzLmNvbVwvZXUtd2VzdC0xX3V3eTNSMTJGTSIs" +
        "ImNsaWVudF9pZCI6IjJ2aDRjbmo5a3NsMzRxNnZ1NW81NnRyaGJpIiwib3JpZ2luX2p0" +
        "aSI6Ijc1NDE0MTUyLTRhMjUtNGQ3Yi1iYTQ5LWZiMTJjMzBlN2E3OSIsImV2ZW50X2lk" +
        "IjoiMDUzY2VkNTMtOTBiNS00ODFhLWE1OTMtMTk5MTAzNTA0NGViIiwidG9rZW5fdXNl" +
        "IjoiYWNjZXNzIiwic2NvcGUiOiJhd3MuY29nbml0by5zaWduaW4udXNlci5hZG1pbiIs" +
        "ImF1dGhfdGltZSI6MTY2NzU2MjM4MSwiZXhwIjoxNjY4MDYwMjA3LCJpYXQiOjE2Njgw" +
        "NTY2MDcsImp0aSI6IjM4MzcyYTQ0LTA1OTctNDJkMi1iYmY0LWI0M2FiMWQ1OGRmZCIs" +
        "InVzZXJuYW1lIjoidGVzdFVzZXIifQ." +
        "WcERDUMrUWg1MWafLSrw9BxrMs3dxOY7WHEI8D_tfbAlqY_9yTd7olHD_jUAkMWpvqGT" +
        "JRuXnrXbllEg3U6V_SWga_ee5yKGtwD7AwCT0-lSzCey7jnZjui4ct1SCSUvWpm9YY4O" +
        "cYQBTdGLinNcGbn-CcNM2I89xGnbLzYfXXZ-izN7ekC_erbCXJ176ra1h-mRq6qp3FLt" +
        "TqBl8nrfCzsjxn25l9UZIfgd754LnJ52k5u_vldnEwJB9riyh5r7_XGM5kk3GYtnkyxB" +
        "6gBnMMRiKmX1TGQM92pKBdFboMK2OU6kYs7dNHdQkBprVodV0oBjloVLsAiMAZ8ZXfrX" +
        "FQ"
}
